// Decisions: filters sent to GET /v1/decisions (server-side paging by ledger index), a live mode and the charts.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { query, type Api } from "../api.js";
import { errorText, resourceText, shortTime, type DecisionRow } from "../format.js";
import { href } from "../route.js";
import { DecisionCharts } from "./decision-charts.js";

interface Page {
  decisions: DecisionRow[];
  next_before: number | null;
}

const TEXT_FILTERS: { name: string; label: string }[] = [
  { name: "subject", label: "Subject" },
  { name: "subject_type", label: "Identity type" },
  { name: "owner", label: "Owner" },
  { name: "action", label: "Action" },
  { name: "resource", label: "Resource id" },
  { name: "reason", label: "Reason code" },
  { name: "control", label: "Control" },
  { name: "policy", label: "Policy id" },
  { name: "trace", label: "Trace id" },
];
const OUTCOMES = ["allow", "deny", "challenge", "error"];
const PAGE_SIZE = 50;
const LIVE_COALESCE_MS = 200;

type Filters = Record<string, string>;

/** datetime-local gives local time without a zone; the API wants an instant. */
function instant(local: string | undefined): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function Decisions({ api }: { api: Api }) {
  const [draft, setDraft] = useState<Filters>({});
  const [filters, setFilters] = useState<Filters>({});
  const [before, setBefore] = useState<number[]>([]);
  const [page, setPage] = useState<Page | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [live, setLive] = useState(true);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const seen = useRef<Set<string>>(new Set());

  const cursor = before.at(-1);
  const params = { ...filters, from: instant(filters.from), to: instant(filters.to), limit: PAGE_SIZE, before: cursor };
  const path = `/v1/decisions${query(params)}`;

  const load = useCallback(async () => {
    try {
      const next = await api.get<Page>(path);
      const added = next.decisions.filter((d) => seen.current.size > 0 && !seen.current.has(d.id)).map((d) => d.id);
      seen.current = new Set(next.decisions.map((d) => d.id));
      setFresh(new Set(added));
      setPage(next);
      setError(undefined);
    } catch (err) {
      setError(errorText(err));
    }
  }, [api, path]);

  useEffect(() => {
    seen.current = new Set();
    void load();
  }, [load]);

  // Live mode follows the decisions stream (Server-Sent Events) and reloads the newest page on each new decision; an older page does not change.
  useEffect(() => {
    if (!live || cursor !== undefined) return;
    const stop = new AbortController();
    let pending: ReturnType<typeof setTimeout> | undefined;
    api.follow("/v1/events?topic=decisions", (event) => {
      if (event !== "decisions" && event !== "reset") return;
      // A burst of decisions is one reload.
      pending ??= setTimeout(() => {
        pending = undefined;
        void load();
      }, LIVE_COALESCE_MS);
    }, stop.signal);
    return () => {
      stop.abort();
      clearTimeout(pending);
    };
  }, [live, cursor, load, api]);

  const set = (name: string) => (event: { currentTarget: HTMLInputElement | HTMLSelectElement }) => setDraft({ ...draft, [name]: event.currentTarget.value });

  return (
    <section aria-labelledby="decisions-title">
      <h1 id="decisions-title">Decisions</h1>
      <form
        class="filters"
        aria-label="Filter decisions"
        onSubmit={(event) => {
          event.preventDefault();
          setBefore([]);
          setFilters(Object.fromEntries(Object.entries(draft).filter(([, v]) => v.trim() !== "").map(([k, v]) => [k, v.trim()])));
        }}
      >
        {TEXT_FILTERS.map((f) => (
          <label key={f.name}>
            {f.label}
            <input name={f.name} value={draft[f.name] ?? ""} onInput={set(f.name)} />
          </label>
        ))}
        <label>
          Outcome
          <select name="outcome" value={draft.outcome ?? ""} onChange={set("outcome")}>
            <option value="">any</option>
            {OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input name="from" type="datetime-local" step="1" value={draft.from ?? ""} onInput={set("from")} />
        </label>
        <label>
          To
          <input name="to" type="datetime-local" step="1" value={draft.to ?? ""} onInput={set("to")} />
        </label>
        <div class="actions">
          <button type="submit">Apply filters</button>
          <button
            type="button"
            onClick={() => {
              setDraft({});
              setFilters({});
              setBefore([]);
            }}
          >
            Clear
          </button>
          <button type="button" aria-pressed={live} onClick={() => setLive(!live)} title="Show new decisions as they are recorded">
            Live {live ? "on" : "off"}
          </button>
        </div>
      </form>
      <DecisionCharts api={api} filters={{ ...filters, from: instant(filters.from), to: instant(filters.to) }} />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {page && (
        <>
          <div class="table-wrap">
            <table class="decisions">
              <caption>
                {page.decisions.length === 0 ? "No decision matches." : `${page.decisions.length} decisions, newest first${cursor !== undefined ? ` (before entry ${cursor})` : ""}`}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Time (UTC)</th>
                  <th scope="col">Subject</th>
                  <th scope="col">Action</th>
                  <th scope="col">Resource</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Control</th>
                </tr>
              </thead>
              <tbody>
                {page.decisions.map((d) => (
                  <tr key={d.id} class={fresh.has(d.id) ? "fresh" : undefined}>
                    <td>
                      <a href={href("decisions", d.id)}>{shortTime(d.time)}</a>
                    </td>
                    <td>
                      {d.subject.id}
                      {d.subject.type && <span class="muted"> {d.subject.type}</span>}
                    </td>
                    <td>{d.action}</td>
                    <td class="wrap">{resourceText(d.resource)}</td>
                    <td>
                      <span class={`outcome ${d.outcome}`}>{d.outcome}</span>
                    </td>
                    <td>{d.reason_code}</td>
                    <td>{d.control ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="pager">
            <button type="button" disabled={before.length === 0} onClick={() => setBefore([])}>
              Newest
            </button>
            <button type="button" disabled={before.length === 0} onClick={() => setBefore(before.slice(0, -1))}>
              Newer
            </button>
            <button type="button" disabled={page.next_before === null} onClick={() => page.next_before !== null && setBefore([...before, page.next_before])}>
              Older
            </button>
          </div>
        </>
      )}
    </section>
  );
}
