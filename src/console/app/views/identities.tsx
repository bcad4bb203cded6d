// Identities: inventory with type, owner, status, credentials and their age, last decision; dormant and ownerless
// flagged; entitlements granted vs used; rotate, suspend, reactivate and revoke through the identity routes (admin only).
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError, query, type Api } from "../api.js";
import type { Operator } from "../app.js";
import { errorText, shortTime, type DecisionRow } from "../format.js";
import { Entitlements } from "./entitlements.js";

interface Identity {
  id: string;
  type: string;
  owner: string | null;
  status: string;
  roles: string[];
  created_at: string;
}

interface Credential {
  id: string;
  kind: string;
  status: string;
  created_at: string;
  expires_at: string | null;
  rotated_at: string | null;
  revoked_at: string | null;
}

const DAY_MS = 24 * 3600 * 1000;
const DORMANT_DAYS = 30;

const ageInDays = (iso: string): number => Math.floor((Date.now() - Date.parse(iso)) / DAY_MS);

export function Identities({ api, operator }: { api: Api; operator: Operator }) {
  const [list, setList] = useState<Identity[] | undefined>();
  const [lastUse, setLastUse] = useState<Record<string, string | null>>({});
  const [open, setOpen] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();

  const load = useCallback(async () => {
    try {
      const { identities } = await api.get<{ identities: Identity[] }>("/v1/identities");
      setList(identities);
      // Last use: the newest decision naming the identity as subject (one indexed read each).
      const uses = await Promise.all(
        identities.map(async (i) => {
          const page = await api.get<{ decisions: DecisionRow[] }>(`/v1/decisions${query({ subject: i.id, limit: 1 })}`);
          return [i.id, page.decisions[0]?.time ?? null] as const;
        }),
      );
      setLastUse(Object.fromEntries(uses));
    } catch (err) {
      setError(errorText(err));
    }
  }, [api]);

  useEffect(() => void load(), [load]);

  const mayManage = operator.roles.includes("admin");
  return (
    <section aria-labelledby="identities-title">
      <h1 id="identities-title">Identities</h1>
      {!mayManage && <p class="muted">You may see identities; rotating, suspending and revoking needs the admin role.</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {list && (
        <div class="table-wrap">
          <table class="identities">
            <caption>
              {list.length} identities; dormant: no decision in {DORMANT_DAYS} days
            </caption>
            <thead>
              <tr>
                <th scope="col">Identity</th>
                <th scope="col">Type</th>
                <th scope="col">Owner</th>
                <th scope="col">Status</th>
                <th scope="col">Last decision</th>
                <th scope="col">Flags</th>
                <th scope="col">
                  <span class="visually-hidden">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((i) => {
                const used = lastUse[i.id];
                const flags = [i.type !== "human" && !i.owner ? "ownerless" : "", used !== undefined && (used === null || ageInDays(used) >= DORMANT_DAYS) && i.status === "active" ? "dormant" : ""].filter(Boolean);
                return (
                  <tr key={i.id}>
                    <td>{i.id}</td>
                    <td>{i.type}</td>
                    <td>{i.owner ?? "none"}</td>
                    <td>{i.status}</td>
                    <td>{used === undefined ? "…" : used === null ? "never" : shortTime(used)}</td>
                    <td>{flags.join(", ")}</td>
                    <td>
                      <button type="button" aria-expanded={open === i.id} onClick={() => setOpen(open === i.id ? undefined : i.id)}>
                        {open === i.id ? "Close" : `Details of ${i.id}`}
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {open && <IdentityDetail key={open} api={api} id={open} mayManage={mayManage} onChanged={() => void load()} />}
    </section>
  );
}

function IdentityDetail({ api, id, mayManage, onChanged }: { api: Api; id: string; mayManage: boolean; onChanged: () => void }) {
  const [identity, setIdentity] = useState<(Identity & { credentials: Credential[] }) | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const load = useCallback(() => {
    api.get<Identity & { credentials: Credential[] }>(`/v1/identities/${encodeURIComponent(id)}`).then(setIdentity, (err: unknown) => setNotice(errorText(err)));
  }, [api, id]);
  useEffect(load, [load]);

  const act = async (label: string, path: string, body: unknown = {}): Promise<void> => {
    setBusy(true);
    try {
      const answer = await api.post<{ key?: string; credential?: { id: string } }>(path, body);
      // A rotated key is shown once, here, as the API gives it once; it is never stored by the console.
      setNotice(answer.key ? `${label}: new key ${answer.key} (shown once: hand it to the identity's operator now)` : `${label}: done.`);
      load();
      onChanged();
    } catch (err) {
      setNotice(err instanceof ApiError ? `Refused by Arbiter (${err.status}): ${err.message}` : errorText(err));
    } finally {
      setBusy(false);
    }
  };

  if (!identity) return notice ? <p class="error">{notice}</p> : <p role="status">Loading {id}…</p>;
  const base = `/v1/identities/${encodeURIComponent(id)}`;
  return (
    <article class="card" aria-label={`Identity ${id}`}>
      <h2>{id}</h2>
      <dl class="facts">
        <dt>Roles</dt>
        <dd>{identity.roles.join(", ") || "none"}</dd>
        <dt>Created</dt>
        <dd>{shortTime(identity.created_at)}</dd>
      </dl>
      <h3>Credentials</h3>
      <ul class="related">
        {identity.credentials.map((c) => (
          <li key={c.id}>
            <span class="mono">{c.id}</span> {c.kind}, {c.status}, {ageInDays(c.created_at)} days old{c.expires_at ? `, until ${shortTime(c.expires_at)}` : ""}{" "}
            {mayManage && c.status === "active" && (
              <button type="button" disabled={busy} onClick={() => void act(`Revoked ${c.id}`, `/v1/credentials/${encodeURIComponent(c.id)}/revoke`, { reason: "revoked from the console" })}>
                Revoke {c.id}
              </button>
            )}
          </li>
        ))}
      </ul>
      <Entitlements api={api} id={id} />
      {mayManage && (
        <div class="decide">
          <button type="button" disabled={busy} onClick={() => void act("Rotated", `${base}/rotate`, { reason: "rotated from the console" })}>
            Rotate API key
          </button>
          {identity.status === "active" ? (
            <button type="button" disabled={busy} onClick={() => void act("Suspended", `${base}/suspend`, { reason: "suspended from the console" })}>
              Suspend
            </button>
          ) : identity.status === "suspended" ? (
            <button type="button" disabled={busy} onClick={() => void act("Reactivated", `${base}/reactivate`, { reason: "reactivated from the console" })}>
              Reactivate
            </button>
          ) : null}
          {identity.status !== "revoked" && (
            <button type="button" disabled={busy} onClick={() => void act("Revoked", `${base}/revoke`, { reason: "revoked from the console" })}>
              Revoke identity
            </button>
          )}
        </div>
      )}
      {notice && (
        <p role="status" class={notice.startsWith("Refused") ? "error" : "ok"}>
          {notice}
        </p>
      )}
    </article>
  );
}
