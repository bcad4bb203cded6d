// Policies: every activated version, the diff between two, how often each rule of a version determined a
// decision in the last 30 days, and the rules that never did.
import { useEffect, useState } from "preact/hooks";
import { query, type Api } from "../api.js";
import { errorText, shortTime } from "../format.js";

interface Version {
  version: string;
  created_at: string;
  policies: number;
  active: boolean;
}

interface Rule {
  id: string;
  effect: string;
  reason: string;
  control: string;
  note: string;
  text: string;
}

const WINDOW_DAYS = 30;

export function Policies({ api }: { api: Api }) {
  const [versions, setVersions] = useState<Version[] | undefined>();
  const [shown, setShown] = useState<string | undefined>();
  const [against, setAgainst] = useState<string>("");
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    api.get<{ active: string | null; versions: Version[] }>("/v1/policies/versions").then(
      (answer) => {
        setVersions(answer.versions);
        setShown(answer.active ?? answer.versions[0]?.version);
        setAgainst(answer.versions.find((v) => v.version !== answer.active)?.version ?? "");
      },
      (err: unknown) => setError(errorText(err)),
    );
  }, [api]);

  return (
    <section aria-labelledby="policies-title">
      <h1 id="policies-title">Policies</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {versions && (
        <div class="table-wrap">
          <table class="versions">
            <caption>{versions.length} activated versions, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Activated</th>
                <th scope="col">Rules</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr key={v.version}>
                  <td>
                    <button type="button" aria-pressed={shown === v.version} onClick={() => setShown(v.version)} class="mono">
                      {v.version.slice(0, 19)}…
                    </button>
                  </td>
                  <td>{shortTime(v.created_at)}</td>
                  <td>{v.policies}</td>
                  <td>{v.active ? "active" : ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {shown && <VersionRules key={shown} api={api} version={shown} />}
      {versions && versions.length > 1 && shown && (
        <>
          <h2>Diff</h2>
          <label>
            Compare {shown.slice(0, 19)}… with{" "}
            <select value={against} onChange={(e) => setAgainst(e.currentTarget.value)}>
              {versions
                .filter((v) => v.version !== shown)
                .map((v) => (
                  <option key={v.version} value={v.version}>
                    {v.version.slice(0, 19)}… ({shortTime(v.created_at)})
                  </option>
                ))}
            </select>
          </label>
          {against && against !== shown && <Diff key={`${against}-${shown}`} api={api} from={against} to={shown} />}
        </>
      )}
    </section>
  );
}

function VersionRules({ api, version }: { api: Api; version: string }) {
  const [rules, setRules] = useState<Rule[] | undefined>();
  const [fired, setFired] = useState<Record<string, number>>({});
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    const from = new Date(Date.now() - WINDOW_DAYS * 24 * 3600 * 1000).toISOString();
    api.get<{ rules: Rule[] }>(`/v1/policies${query({ version })}`).then(
      async ({ rules: found }) => {
        setRules(found);
        // How often each rule determined a decision: the stats route counts the indexed record_policies rows.
        const counts = await Promise.all(
          found.map(async (rule) => {
            const { counts: rows } = await api.get<{ counts: { count: number }[] }>(`/v1/decisions/stats${query({ policy: rule.id, from, bucket: "day" })}`);
            return [rule.id, rows.reduce((n, row) => n + row.count, 0)] as const;
          }),
        );
        setFired(Object.fromEntries(counts));
      },
      (err: unknown) => setError(errorText(err)),
    );
  }, [api, version]);
  if (error) return <p class="error">{error}</p>;
  if (!rules) return <p role="status">Loading rules…</p>;
  const never = rules.filter((r) => fired[r.id] === 0);
  return (
    <>
      <h2>Rules of {version.slice(0, 19)}…</h2>
      <p>
        Fired: decisions each rule determined in the last {WINDOW_DAYS} days (any version with a rule of that id).{" "}
        {never.length > 0 && <strong>Never fired: {never.map((r) => r.id).join(", ")}</strong>}
      </p>
      <div class="table-wrap">
        <table class="rules">
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Effect</th>
              <th scope="col">Reason</th>
              <th scope="col">Control</th>
              <th scope="col">Fired</th>
            </tr>
          </thead>
          <tbody>
            {rules.map((r) => (
              <tr key={r.id}>
                <td>
                  <details>
                    <summary>{r.id}</summary>
                    <p>{r.note}</p>
                    <pre class="policy-text">{r.text}</pre>
                  </details>
                </td>
                <td>{r.effect}</td>
                <td>{r.reason}</td>
                <td>{r.control}</td>
                <td>{fired[r.id] ?? "…"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function Diff({ api, from, to }: { api: Api; from: string; to: string }) {
  const [pair, setPair] = useState<[Rule[], Rule[]] | undefined>();
  useEffect(() => {
    Promise.all([api.get<{ rules: Rule[] }>(`/v1/policies${query({ version: from })}`), api.get<{ rules: Rule[] }>(`/v1/policies${query({ version: to })}`)]).then(
      ([a, b]) => setPair([a.rules, b.rules]),
      () => setPair([[], []]),
    );
  }, [api, from, to]);
  if (!pair) return <p role="status">Comparing…</p>;
  const before = new Map(pair[0].map((r) => [r.id, r]));
  const after = new Map(pair[1].map((r) => [r.id, r]));
  const added = [...after.keys()].filter((id) => !before.has(id));
  const removed = [...before.keys()].filter((id) => !after.has(id));
  const changed = [...after.keys()].filter((id) => before.has(id) && before.get(id)?.text !== after.get(id)?.text);
  return (
    <div class="diff" aria-live="polite">
      <p>
        Added: {added.join(", ") || "none"}. Removed: {removed.join(", ") || "none"}. Changed: {changed.join(", ") || "none"}.
      </p>
      {changed.map((id) => (
        <div key={id} class="diff-pair">
          <h3>{id}</h3>
          <pre class="policy-text removed" aria-label={`${id} before`}>{before.get(id)?.text}</pre>
          <pre class="policy-text added" aria-label={`${id} after`}>{after.get(id)?.text}</pre>
        </div>
      ))}
    </div>
  );
}
