// The evidence pack as one self-contained HTML page: no script, no external asset, every value escaped.
import type { ControlEvidence, EvidenceReport } from "./evidence.js";

/** HTML-escapes text for element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** A template tag that escapes every interpolated value, so no record field can become markup. */
function h(strings: TemplateStringsArray, ...values: (string | number | null | undefined)[]): string {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? escapeHtml(String(values[i] ?? "")) : ""), "");
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;color:#111;background:#fff;margin:2rem auto;max-width:72rem;padding:0 1rem}
h1{font-size:1.6rem;margin:0 0 .3rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:2px solid #222}h3{font-size:1.05rem;margin:1.2rem 0 .3rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem}th,td{border:1px solid #999;padding:.25rem .45rem;text-align:left;vertical-align:top}
th{background:#e8e8e8}code{font-family:ui-monospace,monospace;font-size:.92em;word-break:break-all}.muted{color:#444}.none{color:#444;font-style:italic}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table{break-inside:auto}tr{break-inside:avoid}}
`;

const counts = (by: Record<string, number>): string =>
  Object.entries(by)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => h`${k}: ${n}`)
    .join(", ") || "none";

function controlSection(c: ControlEvidence): string {
  const samples = c.samples.length
    ? `<table><thead><tr><th>ledger index</th><th>time</th><th>subject</th><th>action</th><th>resource</th><th>outcome</th><th>reason</th><th>note</th></tr></thead><tbody>${c.samples
        .map((s) => h`<tr><td><code>${s.index}</code></td><td>${s.time}</td><td>${s.subject}</td><td>${s.action}</td><td><code>${s.resource}</code></td><td>${s.outcome}</td><td><code>${s.reason_code}</code></td><td>${s.note}</td></tr>`)
        .join("")}</tbody></table>`
    : `<p class="none">No decision in this range was determined by a policy mapped to this control.</p>`;
  return `${h`<h3 id="control-${c.control}">${c.control}${c.title ? ` — ${c.title}` : ""}</h3>`}
<p>${h`Policies: ${c.policies.join(", ") || "none"}. Decisions: ${c.decisions} (${counts(c.by_outcome)}). Reason codes: ${counts(c.by_reason)}.`}</p>
${samples}`;
}

export function renderHtml(r: EvidenceReport): string {
  const approvals = r.approvals.listed.length
    ? `<table><thead><tr><th>index</th><th>time</th><th>request</th><th>state</th><th>requester</th><th>approver</th><th>call</th><th>justification</th></tr></thead><tbody>${r.approvals.listed
        .map((a) => h`<tr><td><code>${a.index}</code></td><td>${a.time}</td><td><code>${a.request_id}</code></td><td>${a.state}</td><td>${a.requester}</td><td>${a.approver ?? "—"}</td><td>${a.action} on <code>${a.resource}</code></td><td>${a.justification ?? "—"}</td></tr>`)
        .join("")}</tbody></table>`
    : `<p class="none">No approval records in this range.</p>`;
  const breakGlass = r.break_glass.listed.length
    ? `<table><thead><tr><th>index</th><th>time</th><th>record</th><th>subject</th><th>event</th><th>justification</th></tr></thead><tbody>${r.break_glass.listed
        .map((b) => h`<tr><td><code>${b.index}</code></td><td>${b.time}</td><td>${b.kind}</td><td>${b.subject}</td><td>${b.event}</td><td>${b.justification}</td></tr>`)
        .join("")}</tbody></table>`
    : `<p class="none">No break-glass records in this range.</p>`;
  const sources = r.linkage.sources.length
    ? `<table><thead><tr><th>source system</th><th>linked events</th><th>findings</th><th>unlinked actions</th><th>coverage</th></tr></thead><tbody>${r.linkage.sources
        .map((s) => h`<tr><td>${s.system}</td><td>${s.linked}</td><td>${s.findings}</td><td>${s.unlinked}</td><td>${s.coverage === null ? "—" : `${(s.coverage * 100).toFixed(1)} %`}</td></tr>`)
        .join("")}</tbody></table>`
    : `<p class="none">No linkage runs recorded in this range.</p>`;
  const findings = r.linkage.findings.listed.length
    ? `<table><thead><tr><th>index</th><th>time</th><th>source</th><th>finding</th><th>subject</th><th>action</th><th>note</th></tr></thead><tbody>${r.linkage.findings.listed
        .map((f) => h`<tr><td><code>${f.index}</code></td><td>${f.time}</td><td>${f.system}</td><td><code>${f.reason_code}</code></td><td>${f.subject}</td><td>${f.action}</td><td>${f.note}</td></tr>`)
        .join("")}</tbody></table>`
    : `<p class="none">No findings in this range.</p>`;
  const more = (count: number, listed: number): string => (count > listed ? h`<p class="muted">${count - listed} more are counted but not listed.</p>` : "");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
${h`<title>Arbiter evidence: ${r.framework.title}, ${r.range.from} to ${r.range.to}</title>`}
<style>${STYLE}</style></head><body>
${h`<h1>Evidence pack: ${r.framework.title}</h1>`}
<p class="muted">${h`Records from ${r.range.from} up to ${r.range.to}, generated ${r.generated_at}. Ledger ${r.ledger.origin}, checkpoint size ${r.ledger.tree_size}, root `}<code>${h`${r.ledger.root}`}</code>.</p>
<p>${h`${r.totals.records} records in range; ${r.totals.decisions} decisions (${counts(r.totals.by_outcome)}), of which ${r.totals.mapped_decisions} were determined by a policy mapped to this framework. ${r.cited.length} records are cited; each is in bundle/ with its inclusion proof, to be checked offline with`} <code>arbiter log verify-bundle bundle --vkey KEY</code>.</p>
<h2>Controls</h2>
${r.controls.length ? r.controls.map(controlSection).join("\n") : `<p class="none">No policy maps to this framework.</p>`}
<h2>Approvals</h2>
${approvals}${more(r.approvals.count, r.approvals.listed.length)}
<h2>Break-glass</h2>
${breakGlass}${more(r.break_glass.count, r.break_glass.listed.length)}
<h2>Linkage</h2>
${sources}
<h3>Findings</h3>
${findings}${more(r.linkage.findings.count, r.linkage.findings.listed.length)}
</body></html>
`;
}
