// Integrity: the latest signed checkpoint, the tree size, the verifier key to copy, and "verify now" with progress.
import { useEffect, useState } from "preact/hooks";
import type { Api } from "../api.js";
import type { Operator } from "../app.js";
import { errorText } from "../format.js";

interface VerifyJob {
  id: string;
  state: "running" | "verified" | "failed" | "error";
  checked: number;
  total: number;
  started_by: string;
  finished_at: string | null;
  result: { ok: boolean; entries: number; checkpoints: number; root: string; failure?: { index: number; problem: string; table?: string } } | null;
  error: string | null;
}

const POLL_MS = 500;

export function Integrity({ api, operator }: { api: Api; operator: Operator }) {
  const [checkpoint, setCheckpoint] = useState<string | undefined>();
  const [vkey, setVkey] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [job, setJob] = useState<VerifyJob | undefined>();
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    Promise.all([api.text("/v1/log/checkpoint"), api.text("/v1/log/vkey")]).then(
      ([cp, key]) => {
        setCheckpoint(cp);
        setVkey(key.trim());
      },
      (err: unknown) => setError(errorText(err)),
    );
  }, [api, job?.state]);

  useEffect(() => {
    if (job?.state !== "running") return;
    const timer = setTimeout(() => {
      api.get<VerifyJob>(`/v1/log/verify/${job.id}`).then(setJob, (err: unknown) => setError(errorText(err)));
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [api, job]);

  const [origin, size, root] = (checkpoint ?? "").split("\n");
  const mayVerify = operator.roles.includes("auditor") || operator.roles.includes("admin");
  const percent = job && job.total > 0 ? Math.floor((job.checked / job.total) * 100) : 0;
  return (
    <section aria-labelledby="integrity-title">
      <h1 id="integrity-title">Integrity</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <dl class="facts">
        <dt>Log</dt>
        <dd class="mono">{origin}</dd>
        <dt>Tree size</dt>
        <dd data-testid="tree-size">{size}</dd>
        <dt>Root</dt>
        <dd class="mono">{root}</dd>
      </dl>
      <h2>Latest signed checkpoint</h2>
      <pre class="json">{checkpoint}</pre>
      <h2>Verifier key</h2>
      <p>Anyone can check proofs and checkpoints offline with this key (see the auditing guide).</p>
      <p class="copy">
        <input aria-label="Verifier key" class="mono" readOnly value={vkey ?? ""} onFocus={(e) => e.currentTarget.select()} />
        <button
          type="button"
          onClick={() => {
            if (vkey) navigator.clipboard.writeText(vkey).then(() => setCopied(true), () => setCopied(false));
          }}
        >
          {copied ? "Copied" : "Copy key"}
        </button>
      </p>
      <h2>Verify the whole ledger</h2>
      <p>Recomputes the tree from every stored entry, checks every stored hash and checkpoint signature, and the query tables.</p>
      {mayVerify ? (
        <button
          type="button"
          disabled={job?.state === "running"}
          onClick={() => {
            api.post<VerifyJob>("/v1/log/verify").then(setJob, (err: unknown) => setError(errorText(err)));
          }}
        >
          Verify now
        </button>
      ) : (
        <p class="muted">Running a verify needs the auditor or admin role.</p>
      )}
      {job && (
        <div class="verify-job" role="status" aria-live="polite">
          <progress max={100} value={job.state === "running" ? percent : 100} aria-label="Verify progress" />
          <p data-state={job.state}>
            {job.state === "running" && `Checked ${job.checked} of ${job.total || "…"} entries (${percent}%)`}
            {job.state === "verified" && job.result && `Verified: ${job.result.entries} entries and ${job.result.checkpoints} checkpoints; root ${job.result.root}`}
            {job.state === "failed" && job.result?.failure && `FAILED at entry ${job.result.failure.index}${job.result.failure.table ? ` (table ${job.result.failure.table})` : ""}: ${job.result.failure.problem}`}
            {job.state === "error" && `The verify could not run: ${job.error}`}
          </p>
        </div>
      )}
    </section>
  );
}
