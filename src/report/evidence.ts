// What an evidence pack shows, read from the ledger: decisions per mapped control, approvals, break-glass, linkage, and the records it cites.
import type { Ledger } from "../ledger/index.js";
import type { PolicyStore } from "../policy/index.js";
import { controlOf, FRAMEWORKS, type FrameworkId } from "./frameworks.js";

export const REPORT_FORMAT = "arbiter-evidence-report/v1";

/** Samples shown per control; every sample is cited (and so in the bundle). */
export const SAMPLES_PER_CONTROL = 5;
/** Approvals, break-glass events and findings listed (and cited) at most; the counts stay whole. */
export const MAX_LISTED = 1000;

export interface DecisionSample {
  index: number;
  id: string;
  time: string;
  subject: string;
  action: string;
  resource: string;
  outcome: string;
  reason_code: string;
  note: string;
  policies: string[];
}

export interface ControlEvidence {
  control: string;
  title: string | null;
  /** The policies that map to this control, in any policy version the range used. */
  policies: string[];
  decisions: number;
  by_outcome: Record<string, number>;
  by_reason: Record<string, number>;
  samples: DecisionSample[];
}

export interface ApprovalEvidence {
  index: number;
  time: string;
  request_id: string;
  state: string;
  requester: string;
  approver: string | null;
  action: string;
  resource: string;
  justification: string | null;
}

export interface BreakGlassEvidence {
  index: number;
  time: string;
  kind: string;
  subject: string;
  event: string;
  justification: string;
}

export interface LinkageSource {
  system: string;
  linked: number;
  findings: number;
  unlinked: number;
  /** Linked events over linked plus unlinked (UNLINKED_ACTION) events; null when there were none. */
  coverage: number | null;
}

export interface FindingEvidence {
  index: number;
  time: string;
  system: string;
  reason_code: string;
  subject: string;
  action: string;
  note: string;
}

export interface EvidenceReport {
  format: typeof REPORT_FORMAT;
  framework: { id: FrameworkId; title: string };
  range: { from: string; to: string };
  generated_at: string;
  ledger: { origin: string; tree_size: number; root: string };
  totals: { records: number; decisions: number; mapped_decisions: number; by_outcome: Record<string, number> };
  controls: ControlEvidence[];
  approvals: { count: number; listed: ApprovalEvidence[] };
  break_glass: { count: number; listed: BreakGlassEvidence[] };
  linkage: { sources: LinkageSource[]; findings: { count: number; listed: FindingEvidence[] } };
  /** Ledger indexes of every record the report cites, all in the bundle. */
  cited: number[];
}

export interface EvidenceInput {
  ledger: Ledger;
  policies: Pick<PolicyStore, "get" | "activeVersion">;
  framework: FrameworkId;
  from: string;
  to: string;
  now?: Date;
  onProgress?: (done: number, total: number) => void;
}

type Rec = Record<string, unknown> & { kind: string; id: string; time: string };

const count = (into: Record<string, number>, key: string): void => {
  into[key] = (into[key] ?? 0) + 1;
};
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const who = (subject: unknown): string => str((subject as { id?: unknown } | undefined)?.id) || "unknown";
const what = (resource: unknown): string => {
  const r = resource as { type?: unknown; id?: unknown } | undefined;
  return r?.type ? `${str(r.type)}::${str(r.id)}` : str(r?.id);
};

export function buildEvidence(input: EvidenceInput): EvidenceReport {
  const framework = FRAMEWORKS[input.framework];
  const cp = input.ledger.checkpoint();
  const locations = input.ledger.reader.recordsBetween(input.from, input.to).filter((l) => l.index < cp.size);
  // Rule id → controls in this framework, per policy version (a decision is judged by the version that made it).
  const mappings = new Map<string, Map<string, string[]>>();
  const mappingOf = (version: string): Map<string, string[]> => {
    let map = mappings.get(version);
    if (!map) {
      map = new Map();
      for (const rule of input.policies.get(version)?.rules ?? []) {
        const controls = rule.frameworks.map((f) => controlOf(framework, f)).filter((c): c is string => c !== undefined);
        if (controls.length > 0) map.set(rule.id, controls);
      }
      mappings.set(version, map);
    }
    return map;
  };
  const controls = new Map<string, ControlEvidence>();
  const controlEntry = (control: string): ControlEvidence => {
    let entry = controls.get(control);
    if (!entry) {
      entry = { control, title: (framework.controls as Record<string, string>)[control] ?? null, policies: [], decisions: 0, by_outcome: {}, by_reason: {}, samples: [] };
      controls.set(control, entry);
    }
    return entry;
  };
  // Controls the active policies map, even if nothing fired in the range: "mapped, never fired" is evidence too.
  const active = input.policies.activeVersion();
  if (active) for (const [rule, list] of mappingOf(active)) for (const c of list) addPolicy(controlEntry(c), rule);

  const report: EvidenceReport = {
    format: REPORT_FORMAT,
    framework: { id: input.framework, title: framework.title },
    range: { from: input.from, to: input.to },
    generated_at: (input.now ?? new Date()).toISOString(),
    ledger: { origin: cp.origin, tree_size: cp.size, root: cp.root.toString("base64") },
    totals: { records: locations.length, decisions: 0, mapped_decisions: 0, by_outcome: {} },
    controls: [],
    approvals: { count: 0, listed: [] },
    break_glass: { count: 0, listed: [] },
    linkage: { sources: [], findings: { count: 0, listed: [] } },
    cited: [],
  };
  const sources = new Map<string, LinkageSource>();
  const source = (system: string): LinkageSource => {
    let s = sources.get(system);
    if (!s) sources.set(system, (s = { system, linked: 0, findings: 0, unlinked: 0, coverage: null }));
    return s;
  };
  const cited = new Set<number>();

  locations.forEach((location, done) => {
    if (input.onProgress && (done & 0x3ff) === 0) input.onProgress(done, locations.length);
    const index = location.index;
    const record = JSON.parse(input.ledger.entry(index).toString("utf8")) as Rec;
    if (record.kind === "decision") {
      report.totals.decisions++;
      count(report.totals.by_outcome, str(record.outcome));
      const policy = record.policy as { set_version?: string; determining?: string[] } | undefined;
      const determining = policy?.determining ?? [];
      const map = policy?.set_version ? mappingOf(policy.set_version) : new Map<string, string[]>();
      const hit = new Map<string, string[]>();
      for (const rule of determining) for (const c of map.get(rule) ?? []) hit.set(c, [...(hit.get(c) ?? []), rule]);
      if (hit.size > 0) report.totals.mapped_decisions++;
      for (const [c, rules] of hit) {
        const entry = controlEntry(c);
        for (const rule of rules) addPolicy(entry, rule);
        entry.decisions++;
        count(entry.by_outcome, str(record.outcome));
        count(entry.by_reason, str(record.reason_code));
        addSample(entry, { index, id: record.id, time: record.time, subject: who(record.subject), action: str(record.action), resource: what(record.resource), outcome: str(record.outcome), reason_code: str(record.reason_code), note: str(record.note), policies: rules });
      }
      if (record.control === "break_glass") {
        report.break_glass.count++;
        const bg = record.break_glass as { note?: string } | undefined;
        if (report.break_glass.listed.length < MAX_LISTED) {
          report.break_glass.listed.push({ index, time: record.time, kind: "decision", subject: who(record.subject), event: `${str(record.action)}: ${str(record.reason_code)}`, justification: bg?.note ?? str(record.note) });
          cited.add(index);
        }
      }
    } else if (record.kind === "approval") {
      report.approvals.count++;
      if (report.approvals.listed.length < MAX_LISTED) {
        report.approvals.listed.push({ index, time: record.time, request_id: str(record.request_id), state: str(record.state), requester: who(record.requester), approver: str(record.approver) || null, action: str(record.action), resource: what(record.resource), justification: str(record.justification) || null });
        cited.add(index);
      }
    } else if (record.kind === "event" && str(record.action).startsWith("break_glass")) {
      report.break_glass.count++;
      if (report.break_glass.listed.length < MAX_LISTED) {
        report.break_glass.listed.push({ index, time: record.time, kind: "event", subject: who(record.subject), event: `${str(record.action)} ${what(record.resource)}`, justification: str(record.note) });
        cited.add(index);
      }
    } else if (record.kind === "link") {
      const s = source(str((record.source as { system?: unknown } | undefined)?.system));
      s.linked += Array.isArray(record.links) ? record.links.length : 0;
      cited.add(index);
    } else if (record.kind === "finding") {
      const event = record.event as { source?: { system?: unknown } } | undefined;
      const s = source(str(event?.source?.system));
      s.findings++;
      if (record.reason_code === "UNLINKED_ACTION") s.unlinked++;
      report.linkage.findings.count++;
      if (report.linkage.findings.listed.length < MAX_LISTED) {
        report.linkage.findings.listed.push({ index, time: record.time, system: s.system, reason_code: str(record.reason_code), subject: who(record.subject), action: str(record.action), note: str(record.note) });
        cited.add(index);
      }
    }
  });
  input.onProgress?.(locations.length, locations.length);

  report.controls = [...controls.values()].sort((a, b) => a.control.localeCompare(b.control, "en", { numeric: true }));
  for (const c of report.controls) for (const s of c.samples) cited.add(s.index);
  for (const s of sources.values()) s.coverage = s.linked + s.unlinked > 0 ? s.linked / (s.linked + s.unlinked) : null;
  report.linkage.sources = [...sources.values()].sort((a, b) => a.system.localeCompare(b.system));
  report.cited = [...cited].sort((a, b) => a - b);
  return report;
}

/** Keeps one sample of each outcome first, then the earliest others, SAMPLES_PER_CONTROL in all. */
function addSample(entry: ControlEvidence, sample: DecisionSample): void {
  if (entry.samples.length < SAMPLES_PER_CONTROL) {
    entry.samples.push(sample);
    return;
  }
  if (entry.samples.some((s) => s.outcome === sample.outcome)) return;
  // Make room by dropping the latest sample whose outcome another sample already shows.
  const dropAt = entry.samples.findLastIndex((s, i) => entry.samples.findIndex((t) => t.outcome === s.outcome) !== i);
  if (dropAt === -1) return;
  entry.samples.splice(dropAt, 1);
  entry.samples.push(sample);
}

function addPolicy(entry: ControlEvidence, rule: string): void {
  if (!entry.policies.includes(rule)) {
    entry.policies.push(rule);
    entry.policies.sort();
  }
}
