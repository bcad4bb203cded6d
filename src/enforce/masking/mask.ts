// Applying a mask obligation to a payload: JSON paths and detectors, counted by where they fired and how often, never keeping values.
import { detect, isDetectorName, markerOf, parseJsonPath, type DetectorName, type JsonPathSegment, type Obligation } from "../../record/index.js";
import { replaceAtPath } from "./json-path.js";

/** Obligation paths under this prefix address the arguments sent upstream; all others the payload coming back. */
export const ARGUMENTS_PATH = "$.arguments";
/** A detector named with this prefix scans the arguments sent upstream; without it, the payload coming back. */
export const ARGUMENTS_DETECTOR_PREFIX = "arguments:";
/** The counter of values masked by JSON path (detectors count under their own names). */
export const FIELD_COUNTER = "field";

const MAX_LOCATIONS = 256;

export interface MaskSpec {
  fields: { path: string; segments: JsonPathSegment[] }[];
  detectors: DetectorName[];
}

/** What one call must mask: in the arguments forwarded upstream, and in what comes back. */
export interface MaskPlan {
  arguments: MaskSpec;
  payload: MaskSpec;
}

export type MaskPlanResult = { ok: true; plan: MaskPlan | undefined } | { ok: false; problem: string };

const empty = (): MaskSpec => ({ fields: [], detectors: [] });

export function isEmpty(spec: MaskSpec): boolean {
  return spec.fields.length === 0 && spec.detectors.length === 0;
}

/**
 * Reads the mask obligations of a decision. A path outside the supported subset or an unknown
 * detector is a problem: an enforcement point that cannot honour an obligation must not act.
 */
export function maskPlan(obligations: readonly Obligation[]): MaskPlanResult {
  const plan: MaskPlan = { arguments: empty(), payload: empty() };
  let any = false;
  for (const o of obligations) {
    if (o.type !== "mask") continue;
    any = true;
    for (const path of o.fields) {
      const toArgs = path === ARGUMENTS_PATH || path.startsWith(`${ARGUMENTS_PATH}.`) || path.startsWith(`${ARGUMENTS_PATH}[`);
      const relative = toArgs ? `$${path.slice(ARGUMENTS_PATH.length)}` : path;
      const segments = parseJsonPath(relative);
      if (!segments || segments.length === 0) return { ok: false, problem: `the mask path ${JSON.stringify(path)} is not one this gateway can apply` };
      (toArgs ? plan.arguments : plan.payload).fields.push({ path, segments });
    }
    for (const name of o.detectors) {
      const toArgs = name.startsWith(ARGUMENTS_DETECTOR_PREFIX);
      const bare = toArgs ? name.slice(ARGUMENTS_DETECTOR_PREFIX.length) : name;
      if (!isDetectorName(bare)) return { ok: false, problem: `the mask detector ${JSON.stringify(name)} is unknown to this gateway` };
      const spec = toArgs ? plan.arguments : plan.payload;
      if (!spec.detectors.includes(bare)) spec.detectors.push(bare);
    }
  }
  return { ok: true, plan: any ? plan : undefined };
}

/** Where masking fired and how many values it replaced: what the enforcement record may hold. */
export class MaskTally {
  private readonly locations = new Set<string>();
  private readonly counts = new Map<string, number>();

  add(counter: string, location: string, count = 1): void {
    this.counts.set(counter, (this.counts.get(counter) ?? 0) + count);
    this.locations.add(location);
  }

  get total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }

  summary(): { fields: string[]; detectors: Record<string, number> } | undefined {
    if (this.counts.size === 0) return undefined;
    const all = [...this.locations];
    const fields = all.length <= MAX_LOCATIONS ? all : [...all.slice(0, MAX_LOCATIONS - 1), `… and ${all.length - MAX_LOCATIONS + 1} more`];
    return { fields, detectors: Object.fromEntries([...this.counts].sort(([a], [b]) => (a < b ? -1 : 1))) };
  }
}

function scanText(text: string, detectors: readonly DetectorName[], tally: MaskTally, at: string): string {
  let out = text;
  for (const detector of detectors) {
    const found = detect(detector, out);
    if (found.count > 0) {
      tally.add(detector, at, found.count);
      out = found.text;
    }
  }
  return out;
}

function scanStrings(value: unknown, detectors: readonly DetectorName[], tally: MaskTally, at: string): unknown {
  if (typeof value === "string") return scanText(value, detectors, tally, at);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = scanStrings(value[i], detectors, tally, `${at}[${i}]`);
    return value;
  }
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = scanStrings(record[key], detectors, tally, `${at}.${key}`);
  }
  return value;
}

/** Masks a parsed JSON value in place (paths first, then detectors on every string) and returns it. */
export function maskJson(value: unknown, spec: MaskSpec, tally: MaskTally, at: string): unknown {
  for (const field of spec.fields) {
    replaceAtPath(value, field.segments, at, () => markerOf(FIELD_COUNTER), (location) => tally.add(FIELD_COUNTER, location));
  }
  return spec.detectors.length > 0 ? scanStrings(value, spec.detectors, tally, at) : value;
}

/**
 * Masks text the model will read. Text holding a JSON object or array gets the paths applied to it
 * (and is written back in the same layout, compact or indented); every text gets the detectors.
 */
export function maskText(text: string, spec: MaskSpec, tally: MaskTally, at: string): string {
  let out = text;
  const trimmed = text.trimStart();
  if (spec.fields.length > 0 && (trimmed.startsWith("{") || trimmed.startsWith("["))) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed === "object" && parsed !== null) {
      const before = tally.total;
      maskJson(parsed, { fields: spec.fields, detectors: [] }, tally, at);
      if (tally.total > before) out = JSON.stringify(parsed, null, text.includes("\n") ? 2 : undefined);
    }
  }
  return spec.detectors.length > 0 ? scanText(out, spec.detectors, tally, at) : out;
}
