// The run report: JSON for machines and one self-contained HTML page for people (no external assets, everything escaped).
import type { JsonObject } from "../record/index.js";
import type { FindingRow, SkippedRow } from "../store/index.js";
import type { LinkageSummary } from "./summary.js";

export interface LinkageReport {
  summary: LinkageSummary;
  findings: (Omit<FindingRow, "evidence"> & { evidence: JsonObject })[];
  skipped: SkippedRow[];
}

export function reportOf(summary: LinkageSummary, findings: readonly FindingRow[], skipped: readonly SkippedRow[]): LinkageReport {
  return { summary, findings: findings.map((f) => ({ ...f, evidence: JSON.parse(f.evidence) as JsonObject })), skipped: [...skipped] };
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Every value from a log is attacker-controlled: escaped before it touches markup. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function table(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  if (rows.length === 0) return "<p class=\"none\">none</p>";
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`).join("\n");
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1b1f24}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td{word-break:break-word}.none{color:#57606a}.big{font-size:2rem;font-weight:600}.bad{color:#b42318}.ok{color:#1a7f37}code{font-size:12px}`;

export function renderHtml(report: LinkageReport): string {
  const s = report.summary;
  const coverage = s.coverage === null ? "—" : `${(s.coverage * 100).toFixed(1)}%`;
  const figures = [
    ["run", s.run_id], ["format", s.format], ["source", s.source], ["started", s.started_at], ["finished", s.finished_at],
    ["events (distinct)", s.events], ["linked", s.linked], ["unlinked (carried out)", s.unlinked], ["unlinked (refused by the source)", s.unlinked_denied],
    ["duplicates", s.duplicates], ["lines skipped", s.skipped_total], ["within clock-skew tolerance", s.within_skew], ["stamped in the future", s.future_events],
    ["foreign decisions imported / already known / sharing a request with Arbiter", `${s.foreign_decisions.imported} / ${s.foreign_decisions.already_in_ledger} / ${s.foreign_decisions.corroborated}`],
    ["window / skew tolerance", `${s.window_seconds} s / ${s.skew_seconds} s`], ["run record", s.records.run ?? "—"],
  ];
  const sections = [
    `<h1>Linkage report</h1><p><span class="big ${s.findings_total ? "bad" : "ok"}">${escapeHtml(coverage)}</span> of events linked to a decision; ${escapeHtml(s.findings_total)} finding(s).</p>`,
    table(["", ""], figures),
    "<h2>Linked by key</h2>",
    table(["key", "events"], Object.entries(s.by_key)),
    "<h2>Findings</h2>",
    table(["code", "count"], Object.entries(s.findings)),
    table(["code", "file", "line", "time", "subject", "decision", "note", "evidence", "record"], report.findings.map((f) => [f.code, f.file, f.line, f.time, f.subject_id, f.decision_id ?? "", f.note, JSON.stringify(f.evidence), f.record_id])),
    "<h2>Files</h2>",
    table(["file", "encoding", "items", "events", "linked", "skipped", "problems"], s.files.map((f) => [f.file, f.encoding, f.items, f.events, f.linked, f.skipped, f.problems.join("; ")])),
    ...(s.cloudtrail_digests ? ["<h2>CloudTrail digests</h2>", `<pre><code>${escapeHtml(JSON.stringify(s.cloudtrail_digests, null, 2))}</code></pre>`] : []),
    "<h2>Skipped lines</h2>",
    table(["reason", "count"], Object.entries(s.skipped)),
    table(["file", "line", "reason", "message"], report.skipped.map((k) => [k.file, k.line, k.reason, k.message])),
    ...(Object.keys(s.ignored).length ? ["<h2>Ignored (expected noise)</h2>", table(["reason", "count"], Object.entries(s.ignored))] : []),
  ];
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Arbiter linkage ${escapeHtml(s.run_id)}</title><style>${STYLE}</style></head>
<body>
${sections.join("\n")}
</body></html>
`;
}
