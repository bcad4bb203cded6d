// Decisions over time by outcome (stacked bars) and by control (totals), drawn as SVG from GET /v1/decisions/stats.
import { useEffect, useState } from "preact/hooks";
import { query, type Api } from "../api.js";
import { errorText } from "../format.js";

interface Count {
  bucket: string;
  outcome: string | null;
  control: string | null;
  count: number;
}

const OUTCOMES = ["allow", "deny", "challenge", "error"] as const;
const HOUR = 3_600_000;
const REFRESH_MS = 10_000;

/** Buckets small enough to show shape, few enough to draw: minutes up to 3 hours, hours up to a week, else days. */
function bucketFor(from: Date, to: Date): "minute" | "hour" | "day" {
  const span = to.getTime() - from.getTime();
  return span <= 3 * HOUR ? "minute" : span <= 7 * 24 * HOUR ? "hour" : "day";
}

export function DecisionCharts({ api, filters }: { api: Api; filters: Record<string, string | undefined> }) {
  const [counts, setCounts] = useState<Count[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const to = filters.to ?? "";
  // Without a range, the last 24 hours (the index on time keeps this a range scan).
  const from = filters.from ?? "";
  const key = JSON.stringify(filters);

  useEffect(() => {
    let stopped = false;
    const load = async (): Promise<void> => {
      const end = to ? new Date(to) : new Date();
      const start = from ? new Date(from) : new Date(end.getTime() - 24 * HOUR);
      const params = { ...filters, from: start.toISOString(), ...(to ? { to } : {}), bucket: bucketFor(start, end) };
      try {
        const answer = await api.get<{ counts: Count[] }>(`/v1/decisions/stats${query(params)}`);
        if (!stopped) {
          setCounts(answer.counts);
          setError(undefined);
        }
      } catch (err) {
        if (!stopped) setError(errorText(err));
      }
    };
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
    // key stands for filters, a new object on every render.
  }, [api, key]);

  if (error) return <p class="error">Charts unavailable: {error}</p>;
  if (!counts) return null;
  return (
    <div class="charts">
      <OverTime counts={counts} />
      <ByControl counts={counts} />
    </div>
  );
}

function OverTime({ counts }: { counts: Count[] }) {
  const buckets = [...new Set(counts.map((c) => c.bucket))].sort();
  const perBucket = buckets.map((bucket) => {
    const row: Record<string, number> = {};
    for (const c of counts) if (c.bucket === bucket) row[c.outcome ?? "error"] = (row[c.outcome ?? "error"] ?? 0) + c.count;
    return { bucket, row, total: Object.values(row).reduce((a, b) => a + b, 0) };
  });
  const max = Math.max(1, ...perBucket.map((b) => b.total));
  const width = 600;
  const height = 140;
  const bar = width / Math.max(1, buckets.length);
  const total = perBucket.reduce((n, b) => n + b.total, 0);
  return (
    <figure>
      <figcaption>
        Decisions over time by outcome ({total} in range{buckets.length ? `, ${buckets[0]} to ${buckets.at(-1)} UTC` : ""})
      </figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`Decisions over time: ${OUTCOMES.map((o) => `${o} ${perBucket.reduce((n, b) => n + (b.row[o] ?? 0), 0)}`).join(", ")}`}>
        {perBucket.map((b, i) => {
          let y = height;
          return OUTCOMES.map((o) => {
            const h = ((b.row[o] ?? 0) / max) * (height - 4);
            y -= h;
            return h > 0 ? (
              <rect key={`${b.bucket}-${o}`} class={`fill-${o}`} x={i * bar + 1} y={y} width={Math.max(1, bar - 2)} height={h}>
                <title>{`${b.bucket}: ${b.row[o]} ${o}`}</title>
              </rect>
            ) : null;
          });
        })}
      </svg>
      <ul class="legend">
        {OUTCOMES.map((o) => (
          <li key={o}>
            <span class={`swatch fill-${o}`} aria-hidden="true" /> {o}
          </li>
        ))}
      </ul>
    </figure>
  );
}

function ByControl({ counts }: { counts: Count[] }) {
  const totals = new Map<string, number>();
  for (const c of counts) totals.set(c.control ?? "none", (totals.get(c.control ?? "none") ?? 0) + c.count);
  const rows = [...totals].sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...rows.map(([, n]) => n));
  return (
    <figure>
      <figcaption>Decisions by control</figcaption>
      <svg viewBox={`0 0 300 ${Math.max(20, rows.length * 20)}`} role="img" aria-label={rows.map(([c, n]) => `${c} ${n}`).join(", ") || "no decisions"}>
        {rows.map(([control, n], i) => (
          <g key={control}>
            <text x="0" y={i * 20 + 14} class="chart-label">
              {control}
            </text>
            <rect x="110" y={i * 20 + 3} width={(n / max) * 150} height="14" class="fill-control" />
            <text x={114 + (n / max) * 150} y={i * 20 + 14} class="chart-label">
              {n}
            </text>
          </g>
        ))}
      </svg>
    </figure>
  );
}
