// The effective settings: a flag, else an environment variable, else the data directory's settings file, else the default.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isMap, isScalar, LineCounter, parseDocument, type Node } from "yaml";
import { ArbiterError } from "../../record/errors.js";
import { DATA_FILES } from "../../store/index.js";
import { catalog, type CatalogEntry, type SettingKey, type Settings } from "./catalog.js";

/** The settings file in the data directory (YAML, so that people can keep comments in it). */
export const SETTINGS_FILE = "settings.yaml";

export type SettingSource =
  | { source: "default" }
  | { source: "file"; file: string; line?: number }
  | { source: "env"; env: string }
  | { source: "flag"; flag: string };

export interface LoadSettingsInput {
  /** The data directory whose settings file is read; none, or one without the file, contributes nothing. */
  dir?: string;
  env?: NodeJS.ProcessEnv;
  /** Values given on the command line, as typed, by setting. */
  flags?: Partial<Record<SettingKey, string>>;
}

export interface LoadedSettings {
  settings: Settings;
  sources: Record<SettingKey, SettingSource>;
}

/** Settings an older data directory keeps in config.json (written by `arbiter init`); settings.yaml overrides them. */
const CONFIG_JSON_KEYS: Partial<Record<SettingKey, string>> = { "ledger.checkpoint_interval": "checkpoint_interval_ms" };

interface Candidate {
  value: unknown;
  from: SettingSource;
}

export function flagName(entry: CatalogEntry): string | undefined {
  return entry.setting.flag?.split(" ")[0];
}

/** How a person can change a setting, for messages such as a busy port's. */
export function howToSet(key: SettingKey): string {
  const entry = catalog().find((e) => e.key === key);
  const ways = [flagName(entry as CatalogEntry), entry?.setting.env !== undefined ? `$${entry.setting.env}` : undefined, `${key} in ${SETTINGS_FILE}`].filter((w) => w !== undefined);
  return ways.length === 1 ? ways[0] as string : `${ways.slice(0, -1).join(", ")} or ${ways.at(-1) ?? ""}`;
}

export function describeSource(from: SettingSource): string {
  switch (from.source) {
    case "default":
      return "default";
    case "file":
      return `file ${from.file}${from.line !== undefined ? `:${from.line}` : ""}`;
    case "env":
      return `env $${from.env}`;
    case "flag":
      return `flag ${from.flag}`;
  }
}

/** Reads settings.yaml: each value with the line it stands on; unknown sections and keys are errors, not silently ignored. */
function readSettingsFile(path: string, problems: string[]): Map<SettingKey, Candidate> {
  const found = new Map<SettingKey, Candidate>();
  const lines = new LineCounter();
  const doc = parseDocument(readFileSync(path, "utf8"), { lineCounter: lines, uniqueKeys: true });
  for (const error of doc.errors) problems.push(`${path}:${error.linePos?.[0].line ?? 1}: ${error.message.split("\n")[0] ?? "invalid YAML"}`);
  if (doc.errors.length > 0) return found;
  const lineOf = (node: Node | null | undefined): number => lines.linePos(node?.range?.[0] ?? 0).line;
  if (doc.contents === null) return found;
  if (!isMap(doc.contents)) {
    problems.push(`${path}:${lineOf(doc.contents)}: expected sections such as \`server:\` at the top level`);
    return found;
  }
  const entries = catalog();
  const sections = [...new Set(entries.map((e) => e.section))];
  for (const pair of doc.contents.items) {
    const sectionName = isScalar(pair.key) ? String(pair.key.value) : "";
    const keyLine = lineOf(pair.key);
    if (!sections.includes(sectionName)) {
      problems.push(`${path}:${keyLine}: unknown section ${JSON.stringify(sectionName)}; the sections are ${sections.join(", ")}`);
      continue;
    }
    if (pair.value === null || (isScalar(pair.value) && pair.value.value === null)) continue;
    if (!isMap(pair.value)) {
      problems.push(`${path}:${keyLine}: ${sectionName} must hold settings such as \`${entries.find((e) => e.section === sectionName)?.name ?? ""}: …\``);
      continue;
    }
    for (const item of pair.value.items) {
      const name = isScalar(item.key) ? String(item.key.value) : "";
      const entry = entries.find((e) => e.section === sectionName && e.name === name);
      const line = lineOf(item.key);
      if (entry === undefined) {
        const known = entries.filter((e) => e.section === sectionName).map((e) => e.name);
        problems.push(`${path}:${line}: unknown setting ${sectionName}.${name}; ${sectionName} has ${known.join(", ")}`);
        continue;
      }
      const node = item.value as Node | null;
      found.set(entry.key, { value: node === null ? null : node.toJSON(), from: { source: "file", file: path, line } });
    }
  }
  return found;
}

function readConfigJson(dir: string): Map<SettingKey, Candidate> {
  const found = new Map<SettingKey, Candidate>();
  const path = join(dir, DATA_FILES.config);
  if (!existsSync(path)) return found;
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch {
    return found; // opening the data directory reports a damaged config.json with its own error.
  }
  for (const [key, field] of Object.entries(CONFIG_JSON_KEYS) as [SettingKey, string][]) {
    if (config[field] !== undefined) found.set(key, { value: config[field], from: { source: "file", file: path } });
  }
  return found;
}

function textCandidate(entry: CatalogEntry, input: LoadSettingsInput): Candidate | undefined {
  const flag = input.flags?.[entry.key];
  if (flag !== undefined) return { value: entry.setting.kind.fromText(flag), from: { source: "flag", flag: flagName(entry) ?? entry.key } };
  const env = entry.setting.env;
  // An empty variable counts as unset, as shells and service managers often leave one defined but empty.
  const text = env !== undefined ? input.env?.[env] : undefined;
  if (env !== undefined && text !== undefined && text !== "") return { value: entry.setting.kind.fromText(text), from: { source: "env", env } };
  return undefined;
}

function shown(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
}

/** Every setting's effective value and where it came from; every invalid value is reported at once, by file and line, variable or flag. */
export function loadSettings(input: LoadSettingsInput = {}): LoadedSettings {
  const problems: string[] = [];
  const flagProblems: string[] = [];
  const file = input.dir !== undefined && existsSync(join(input.dir, SETTINGS_FILE)) ? readSettingsFile(join(input.dir, SETTINGS_FILE), problems) : new Map<SettingKey, Candidate>();
  const legacy = input.dir !== undefined ? readConfigJson(input.dir) : new Map<SettingKey, Candidate>();
  const settings: Record<string, Record<string, unknown>> = {};
  const sources = {} as Record<SettingKey, SettingSource>;
  for (const entry of catalog()) {
    const candidate = textCandidate(entry, input) ?? file.get(entry.key) ?? legacy.get(entry.key);
    let value: unknown = entry.setting.default;
    let from: SettingSource = { source: "default" };
    if (candidate !== undefined) {
      const parsed = entry.setting.kind.schema.safeParse(candidate.value);
      if (parsed.success) {
        value = parsed.data;
        from = candidate.from;
      } else {
        const where = candidate.from.source === "file" ? `${candidate.from.file}${candidate.from.line !== undefined ? `:${candidate.from.line}` : ""}: ${entry.key}` : describeSource(candidate.from).replace(/^(env|flag) /, "");
        (candidate.from.source === "flag" ? flagProblems : problems).push(`${where} must be ${entry.setting.kind.allowed}; got ${(entry.setting.kind.show ?? shown)(candidate.value)}`);
      }
    }
    (settings[entry.section] ??= {})[entry.name] = value;
    sources[entry.key] = from;
  }
  if (flagProblems.length > 0) throw new ArbiterError("USAGE", [...flagProblems, ...problems].join("\n  "), { problems: [...flagProblems, ...problems] });
  if (problems.length > 0) {
    // The file's problems in the order of its lines, then the environment's.
    const lineOf = (p: string): number => Number(/^[^\n]*?\.yaml:(\d+): /.exec(p)?.[1] ?? Number.MAX_SAFE_INTEGER);
    problems.sort((a, b) => lineOf(a) - lineOf(b));
    throw new ArbiterError("SETTINGS_INVALID", problems.join("\n  "), { problems });
  }
  return { settings: settings as Settings, sources };
}

/** A setting's value as a person would write it. */
export function formatSetting(key: SettingKey, value: unknown): string {
  const entry = catalog().find((e) => e.key === key);
  return entry === undefined ? String(value) : entry.setting.kind.format(value);
}
