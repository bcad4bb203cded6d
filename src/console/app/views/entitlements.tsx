// An identity's entitlements granted vs used in the last 30 days: unused ones are least-privilege candidates.
import { useCallback, useEffect, useState } from "preact/hooks";
import { query, type Api } from "../api.js";
import { errorText, shortTime } from "../format.js";

interface Entitlement {
  action: string;
  granted: boolean;
  resource_types: string[];
  used: number;
  last_used?: string;
  unused: boolean;
}

interface EntitlementsPage {
  policy_version: string;
  window: { from: string; to: string; days: number };
  totals: { granted: number; used: number; unused: number };
  entitlements: Entitlement[];
  next_after?: string;
}

const PAGE = 50;

export function Entitlements({ api, id }: { api: Api; id: string }) {
  const [page, setPage] = useState<EntitlementsPage | undefined>();
  const [rows, setRows] = useState<Entitlement[]>([]);
  const [error, setError] = useState<string | undefined>();

  const load = useCallback(
    async (after?: string) => {
      try {
        const next = await api.get<EntitlementsPage>(`/v1/identities/${encodeURIComponent(id)}/entitlements${query({ limit: PAGE, after })}`);
        setPage(next);
        setRows((before) => (after === undefined ? next.entitlements : [...before, ...next.entitlements]));
      } catch (err) {
        setError(errorText(err));
      }
    },
    [api, id],
  );
  useEffect(() => void load(), [load]);

  if (error) return <p class="error">{error}</p>;
  if (!page) return <p role="status">Loading entitlements…</p>;
  return (
    <div>
      <h3>Entitlements granted vs used</h3>
      <p class="muted">
        {page.totals.granted} granted by the active policy, {page.totals.used} used in the last {page.window.days} days, {page.totals.unused} unused (least-privilege candidates).
      </p>
      <div class="table-wrap">
        <table class="entitlements">
          <caption class="visually-hidden">Entitlements of {id}</caption>
          <thead>
            <tr>
              <th scope="col">Action</th>
              <th scope="col">On</th>
              <th scope="col">Allowed decisions ({page.window.days} days)</th>
              <th scope="col">Last used</th>
              <th scope="col">Flag</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e) => (
              <tr key={e.action} class={e.unused ? "unused" : undefined}>
                <td class="mono">{e.action}</td>
                <td>{e.resource_types.join(", ") || "—"}</td>
                <td>{e.used}</td>
                <td>{e.last_used ? shortTime(e.last_used) : "never"}</td>
                <td>{e.unused ? <span class="flag-unused">unused</span> : e.granted ? "" : "no longer granted"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {page.next_after !== undefined && (
        <button type="button" onClick={() => void load(page.next_after)}>
          More entitlements
        </button>
      )}
    </div>
  );
}
