// Linkage: per source system (the source and format of its runs), the latest run's coverage and findings.
import { useEffect, useState } from "preact/hooks";
import type { Api } from "../api.js";
import { errorText, shortTime } from "../format.js";

interface Run {
  id: string;
  status: string;
  format: string;
  source: string;
  started_at: string;
  summary: { events: number; linked: number; coverage: number | null; findings: Record<string, number>; findings_total: number } | { error: string } | null;
}

export function Linkage({ api }: { api: Api }) {
  const [runs, setRuns] = useState<Run[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    api.get<{ runs: Run[] }>("/v1/linkage/runs?limit=200").then(
      (answer) => setRuns(answer.runs),
      (err: unknown) => setError(errorText(err)),
    );
  }, [api]);
  // Runs come newest first: the first run seen of a source system is its latest.
  const latest = new Map<string, { run: Run; count: number }>();
  for (const run of runs ?? []) {
    const key = `${run.format} ${run.source}`;
    const seen = latest.get(key);
    latest.set(key, seen ? { ...seen, count: seen.count + 1 } : { run, count: 1 });
  }
  return (
    <section aria-labelledby="linkage-title">
      <h1 id="linkage-title">Linkage</h1>
      <p>How much of what each outside system logged is explained by a decision, and what is not (the latest run per source; runs come from arbiter link or POST /v1/linkage/runs).</p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {runs && latest.size === 0 && <p>No linkage run yet.</p>}
      {latest.size > 0 && (
        <div class="table-wrap">
          <table class="linkage">
            <thead>
              <tr>
                <th scope="col">Source system</th>
                <th scope="col">Latest run</th>
                <th scope="col">Coverage</th>
                <th scope="col">Findings</th>
                <th scope="col">Runs</th>
              </tr>
            </thead>
            <tbody>
              {[...latest].map(([key, { run, count }]) => {
                const summary = run.summary && !("error" in run.summary) ? run.summary : undefined;
                return (
                  <tr key={key}>
                    <td class="wrap">
                      {run.source} <span class="muted">({run.format})</span>
                    </td>
                    <td>
                      {shortTime(run.started_at)} {run.status}
                    </td>
                    <td>{summary ? (summary.coverage === null ? "no events" : `${(summary.coverage * 100).toFixed(1)}% (${summary.linked} of ${summary.events})`) : run.summary && "error" in run.summary ? `failed: ${run.summary.error}` : "running"}</td>
                    <td class="wrap">
                      {summary
                        ? Object.entries(summary.findings)
                            .map(([code, n]) => `${code} ${n}`)
                            .join(", ") || "none"
                        : ""}
                    </td>
                    <td>{count}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
