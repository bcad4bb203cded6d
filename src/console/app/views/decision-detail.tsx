// One decision: why (reason, note, the determining policies' text at that version), who, the approval and grant,
// obligations, enforcement, the trace tree, and its inclusion proof verified here in the browser.
import { useEffect, useState } from "preact/hooks";
import { query, type Api } from "../api.js";
import { errorText, resourceText, shortTime, type DecisionRow } from "../format.js";
import { href } from "../route.js";
import { ProofCheck } from "./proof-check.js";

interface Explained {
  index: number;
  decision: DecisionRow & {
    delegation?: { id: string; type?: string; on_behalf_of?: string }[];
    obligations?: unknown[];
    grant?: unknown;
    approval?: unknown;
    correlation?: { trace_id?: string; parent_decision_id?: string; task_id?: string };
  };
  explanation: { summary: string; policy_set_version: string; evaluated_version_known: boolean; policies: { id: string; effect: string; reason: string; control: string; note: string; text: string }[] };
  approval?: Record<string, unknown>;
  grant?: Record<string, unknown>;
  related: (Record<string, unknown> & { index: number; kind: string; id: string; time: string })[];
  inclusion_proof: string;
}

function Json({ value }: { value: unknown }) {
  return <pre class="json">{JSON.stringify(value, null, 2)}</pre>;
}

export function DecisionDetail({ api, id }: { api: Api; id: string }) {
  const [found, setFound] = useState<Explained | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    setFound(undefined);
    api.get<Explained>(`/v1/decisions/${encodeURIComponent(id)}`).then(setFound, (err: unknown) => setError(errorText(err)));
  }, [api, id]);

  if (error)
    return (
      <section>
        <h1>Decision {id}</h1>
        <p class="error" role="alert">
          {error}
        </p>
        <a href={href("decisions")}>Back to decisions</a>
      </section>
    );
  if (!found) return <p role="status">Loading decision {id}…</p>;
  const d = found.decision;
  const enforcement = found.related.filter((r) => r.kind === "enforcement");
  return (
    <section aria-labelledby="decision-title">
      <p>
        <a href={href("decisions")}>← Decisions</a>
      </p>
      <h1 id="decision-title">
        <span class={`outcome ${d.outcome}`}>{d.outcome}</span> {d.action} on {resourceText(d.resource)}
      </h1>
      <dl class="facts">
        <dt>Decision</dt>
        <dd class="mono">{d.id}</dd>
        <dt>Ledger entry</dt>
        <dd>{found.index}</dd>
        <dt>Time</dt>
        <dd>{shortTime(d.time)}</dd>
        <dt>Subject</dt>
        <dd>
          {d.subject.id} ({d.subject.type ?? "unknown type"}){d.subject.owner ? `, owned by ${d.subject.owner}` : ", no owner recorded"}
        </dd>
        <dt>Delegation chain</dt>
        <dd>{d.delegation?.length ? d.delegation.map((link) => `${link.id}${link.on_behalf_of ? ` for ${link.on_behalf_of}` : ""}`).join(" → ") : "none"}</dd>
        <dt>Reason</dt>
        <dd>
          {d.reason_code} {d.control && <span class="muted">(control {d.control})</span>}
        </dd>
        <dt>Note</dt>
        <dd>{d.note ?? ""}</dd>
        <dt>Trace</dt>
        <dd class="mono">{d.correlation?.trace_id ?? "none"}</dd>
      </dl>

      <h2>Rationale</h2>
      <p>{found.explanation.summary}</p>
      <p class="muted">
        Policy set <span class="mono">{found.explanation.policy_set_version}</span>
        {found.explanation.evaluated_version_known ? "" : " (this version is not stored here: its text cannot be shown)"}
      </p>
      {found.explanation.policies.map((p) => (
        <article key={p.id} class="policy">
          <h3>
            {p.id} <span class="muted">{p.effect}, {p.reason}, {p.control}</span>
          </h3>
          <p>{p.note}</p>
          <pre class="policy-text">{p.text}</pre>
        </article>
      ))}

      <h2>Approval and grant</h2>
      {found.approval || found.grant ? (
        <>
          {found.approval && <Json value={found.approval} />}
          {found.grant && <Json value={found.grant} />}
        </>
      ) : (
        <p>None: this decision neither opened nor used an approval.</p>
      )}

      <h2>Obligations</h2>
      {d.obligations?.length ? <Json value={d.obligations} /> : <p>None.</p>}

      <h2>Enforcement</h2>
      {enforcement.length ? enforcement.map((e) => <Json key={e.id} value={e} />) : <p>No enforcement point reported a result.</p>}

      <h2>Trace</h2>
      <TraceTree api={api} traceId={d.correlation?.trace_id} current={d.id} />

      <h2>Related records</h2>
      {found.related.length ? (
        <ul class="related">
          {found.related.map((r) => (
            <li key={r.id}>
              entry {r.index}: {r.kind} <span class="mono">{r.id}</span> at {shortTime(r.time)}
            </li>
          ))}
        </ul>
      ) : (
        <p>None.</p>
      )}

      <h2>Inclusion proof</h2>
      <ProofCheck api={api} index={found.index} decisionId={d.id} proof={found.inclusion_proof} />
    </section>
  );
}

/** Decisions of the same trace, nested by parent decision. */
function TraceTree({ api, traceId, current }: { api: Api; traceId: string | undefined; current: string }) {
  const [rows, setRows] = useState<DecisionRow[] | undefined>();
  useEffect(() => {
    if (!traceId) return;
    api.get<{ decisions: DecisionRow[] }>(`/v1/decisions${query({ trace: traceId, limit: 200 })}`).then((page) => setRows(page.decisions.reverse()), () => setRows([]));
  }, [api, traceId]);
  if (!traceId) return <p>This decision carries no trace id.</p>;
  if (!rows) return <p role="status">Loading the trace…</p>;
  const parentOf = (row: DecisionRow): string | undefined => (row as { correlation?: { parent_decision_id?: string } }).correlation?.parent_decision_id;
  const ids = new Set(rows.map((r) => r.id));
  const roots = rows.filter((r) => !parentOf(r) || !ids.has(parentOf(r) ?? ""));
  const children = (id: string): DecisionRow[] => rows.filter((r) => parentOf(r) === id);
  const node = (row: DecisionRow) => (
    <li key={row.id}>
      {row.id === current ? <strong>this decision</strong> : <a href={href("decisions", row.id)}>{shortTime(row.time)}</a>} {row.subject.id} {row.action} <span class={`outcome ${row.outcome}`}>{row.outcome}</span>
      {children(row.id).length > 0 && <ul>{children(row.id).map(node)}</ul>}
    </li>
  );
  return <ul class="trace">{roots.map(node)}</ul>;
}
