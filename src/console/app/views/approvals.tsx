// The approvals queue: pending requests with the call they would allow; approve or deny with a justification; refreshed live.
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError, query, type Api } from "../api.js";
import type { Operator } from "../app.js";
import { errorText, resourceText, shortTime } from "../format.js";
import { href } from "../route.js";

interface Approval {
  id: string;
  state: string;
  requester: { id: string; type: string; owner: string | null };
  action: string;
  resource: { type: string; id: string };
  args_digest: string;
  gate_policy: string;
  approver_role: string;
  grant: { uses: number; ttl_seconds: number };
  decision_id: string;
  created_at: string;
  expires_at: string;
  decided_at: string | null;
  approver: string | null;
  justification: string | null;
  /** The arguments as the API gives them: credentials and detected values masked. */
  call?: { arguments?: unknown; arguments_omitted?: string; masked_values?: number };
}

const EXPIRY_REFRESH_MS = 30_000;
const STATES = ["pending", "approved", "denied", "expired"];

export function Approvals({ api, operator, focus }: { api: Api; operator: Operator; focus: string | undefined }) {
  const [state, setState] = useState("pending");
  const [list, setList] = useState<Approval[] | undefined>();
  const [focused, setFocused] = useState<Approval | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | undefined>();

  const load = useCallback(async () => {
    try {
      const [page, one] = await Promise.all([
        api.get<{ approvals: Approval[] }>(`/v1/approvals${query({ state, limit: 100 })}`),
        focus ? api.get<Approval>(`/v1/approvals/${encodeURIComponent(focus)}`) : Promise.resolve(undefined),
      ]);
      setList(page.approvals);
      setFocused(one);
      setError(undefined);
    } catch (err) {
      setError(errorText(err));
    }
  }, [api, state, focus]);

  // Live: the approvals stream (Server-Sent Events) says when a request opens or is decided; expiry records nothing, so a slow refresh shows it.
  useEffect(() => {
    void load();
    const stop = new AbortController();
    api.follow("/v1/events?topic=approvals", () => void load(), stop.signal);
    const timer = setInterval(() => void load(), EXPIRY_REFRESH_MS);
    return () => {
      stop.abort();
      clearInterval(timer);
    };
  }, [load, api]);

  const mayDecide = operator.roles.includes("approver");
  const shown = focused && !list?.some((a) => a.id === focused.id) ? [focused, ...(list ?? [])] : (list ?? []);
  return (
    <section aria-labelledby="approvals-title">
      <h1 id="approvals-title">Approvals</h1>
      <label>
        Show{" "}
        <select value={state} onChange={(e) => setState(e.currentTarget.value)}>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      {!mayDecide && <p class="muted">You may see requests; deciding them needs the approver role.</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {notice && (
        <p role="status" class="ok">
          {notice}
        </p>
      )}
      {list && shown.length === 0 && <p>No {state} approval requests.</p>}
      <ul class="cards">
        {shown.map((a) => (
          <ApprovalCard key={a.id} approval={a} api={api} mayDecide={mayDecide} highlighted={a.id === focus} onDecided={(message) => {
              setNotice(message);
              void load();
            }}
          />
        ))}
      </ul>
    </section>
  );
}

function ApprovalCard({ approval: a, api, mayDecide, highlighted, onDecided }: { approval: Approval; api: Api; mayDecide: boolean; highlighted: boolean; onDecided: (message: string) => void }) {
  const [justification, setJustification] = useState("");
  const [outcome, setOutcome] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const decide = async (verb: "approve" | "deny"): Promise<void> => {
    setBusy(true);
    try {
      await api.post(`/v1/approvals/${encodeURIComponent(a.id)}/${verb}`, { justification });
      onDecided(verb === "approve" ? `Approved ${a.id}: a grant for exactly this call was issued.` : `Denied ${a.id}.`);
    } catch (err) {
      // The API's own words: self-approval, the requester's owner, an expired request, a missing role.
      setOutcome(err instanceof ApiError ? `Refused by Arbiter (${err.status}): ${err.message}` : errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const field = `justification-${a.id}`;
  return (
    <li class={highlighted ? "card highlighted" : "card"} aria-label={`Approval request ${a.id}`}>
      <h2>
        {a.requester.id} asks to <span class="mono">{a.action}</span> on <span class="mono">{resourceText(a.resource)}</span>
      </h2>
      <dl class="facts">
        <dt>State</dt>
        <dd>{a.state}</dd>
        <dt>Requester</dt>
        <dd>
          {a.requester.id} ({a.requester.type}){a.requester.owner ? `, owned by ${a.requester.owner}` : ""}
        </dd>
        <dt>Arguments</dt>
        <dd>
          {a.call?.arguments !== undefined ? <pre class="json">{JSON.stringify(a.call.arguments, null, 2)}</pre> : <p>{a.call?.arguments_omitted ?? "not shown"}</p>}
          {a.call?.masked_values ? <p class="muted">{a.call.masked_values} value(s) masked</p> : null}
          <p class="muted mono" title="The grant binds exactly these arguments, by their digest">
            digest {a.args_digest}
          </p>
        </dd>
        <dt>Gate policy</dt>
        <dd>{a.gate_policy}</dd>
        <dt>Opened by</dt>
        <dd>
          <a href={href("decisions", a.decision_id)}>decision {a.decision_id}</a>
        </dd>
        <dt>Asked</dt>
        <dd>
          {shortTime(a.created_at)}, expires {shortTime(a.expires_at)}
        </dd>
        <dt>Grant</dt>
        <dd>
          {a.grant.uses} use(s) within {a.grant.ttl_seconds} s
        </dd>
        {a.approver && (
          <>
            <dt>Decided by</dt>
            <dd>
              {a.approver}: {a.justification}
            </dd>
          </>
        )}
      </dl>
      {mayDecide && a.state === "pending" && (
        <form
          class="decide"
          onSubmit={(e) => {
            e.preventDefault();
            void decide("approve");
          }}
        >
          <label for={field}>Justification</label>
          <input id={field} value={justification} onInput={(e) => setJustification(e.currentTarget.value)} minLength={3} maxLength={2000} required />
          <button type="submit" disabled={busy}>
            Approve
          </button>
          <button type="button" disabled={busy || justification.trim().length < 3} onClick={() => void decide("deny")}>
            Deny
          </button>
        </form>
      )}
      {outcome && (
        <p role="status" class={outcome.startsWith("Refused") ? "error" : "ok"}>
          {outcome}
        </p>
      )}
    </li>
  );
}
