// The inclusion proof of one decision, verified in this browser against the published verifier key, with a visible verdict.
import { useCallback, useEffect, useState } from "preact/hooks";
import type { Api } from "../api.js";
import { errorText } from "../format.js";
import { verifyInclusion, type ProofVerdict } from "../verify/proof.js";

export function ProofCheck({ api, index, decisionId, proof }: { api: Api; index: number; decisionId: string; proof: string }) {
  const [verdict, setVerdict] = useState<ProofVerdict | undefined>();
  const [running, setRunning] = useState(false);

  const run = useCallback(async () => {
    setRunning(true);
    try {
      // The leaf bytes as stored, not the JSON the API re-serialised: the hash is over these exact bytes.
      const [entry, vkey] = await Promise.all([api.bytes(`/v1/log/entries/${index}`), api.text("/v1/log/vkey")]);
      const leafId = (JSON.parse(new TextDecoder().decode(entry)) as { id?: unknown }).id;
      if (leafId !== decisionId) setVerdict({ ok: false, steps: [], reason: `ledger entry ${index} is not decision ${decisionId}` });
      else setVerdict(await verifyInclusion(entry, index, proof, vkey));
    } catch (err) {
      setVerdict({ ok: false, steps: [], reason: errorText(err) });
    } finally {
      setRunning(false);
    }
  }, [api, index, decisionId, proof]);

  useEffect(() => void run(), [run]);

  return (
    <div class="proof">
      <p role="status" aria-live="polite" class={verdict ? (verdict.ok ? "verdict ok" : "verdict bad") : "verdict"} data-verdict={verdict ? (verdict.ok ? "verified" : "failed") : "pending"}>
        {running || !verdict
          ? "Verifying in this browser…"
          : verdict.ok
            ? `Verified in this browser: entry ${verdict.index} is in the log ${verdict.checkpoint?.origin} of size ${verdict.checkpoint?.size}, whose checkpoint is signed by the published key.`
            : `NOT verified: ${verdict.reason}`}
      </p>
      {verdict && verdict.steps.length > 0 && (
        <ol class="steps">
          {verdict.steps.map((step) => (
            <li key={step}>{step}</li>
          ))}
        </ol>
      )}
      <button type="button" onClick={() => void run()} disabled={running}>
        Verify again
      </button>
      <details>
        <summary>Proof text (c2sp.org/tlog-proof@v1)</summary>
        <pre class="json">{proof}</pre>
      </details>
    </div>
  );
}
