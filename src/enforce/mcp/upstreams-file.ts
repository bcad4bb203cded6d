// The upstreams `arbiter serve` exposes at /mcp/NAME, kept in the data directory (mode 0600: commands may carry secrets in env).
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { ArbiterError, sensitivitySchema } from "../../record/index.js";
import type { UpstreamSpec } from "./upstream.js";

export const UPSTREAMS_FILE = "mcp-upstreams.json";

/** Upstream names are URL path segments and the `<server>` of resource ids. */
export const UPSTREAM_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

const stringMap = z.record(z.string().min(1).max(256), z.string().max(8192));
const seconds = z.number().int().min(1).max(86_400).optional();
/** Settings of either kind: sensitivity in records, and how long calls may be held (approval) and run (upstream). */
const common = {
  sensitivity: sensitivitySchema.optional(),
  approval_timeout: seconds,
  call_timeout: seconds,
};

export const upstreamConfigSchema = z.union([
  z.strictObject({ command: z.string().min(1).max(4096), args: z.array(z.string().max(4096)).max(256).default([]), env: stringMap.optional(), cwd: z.string().min(1).max(4096).optional(), ...common }),
  z.strictObject({ url: z.url({ protocol: /^https?$/ }), headers: stringMap.optional(), ...common }),
]);

export type UpstreamConfig = z.infer<typeof upstreamConfigSchema>;

const fileSchema = z.strictObject({ upstreams: z.record(z.string().regex(UPSTREAM_NAME), upstreamConfigSchema) });

export function upstreamSpec(config: UpstreamConfig): UpstreamSpec {
  if ("url" in config) return { kind: "http", url: config.url, ...(config.headers ? { headers: config.headers } : {}) };
  return { kind: "stdio", command: config.command, args: config.args, ...(config.env ? { env: config.env } : {}), ...(config.cwd ? { cwd: config.cwd } : {}) };
}

/** The configured upstreams by name; none when the file does not exist. */
export function readUpstreams(dataDir: string): Record<string, UpstreamConfig> {
  const path = join(dataDir, UPSTREAMS_FILE);
  if (!existsSync(path)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ArbiterError("DATA_DIR_INVALID", `${path} is not JSON: ${err instanceof Error ? err.message : String(err)}`, { path });
  }
  const checked = fileSchema.safeParse(parsed);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new ArbiterError("DATA_DIR_INVALID", `${path}: ${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"}`, { path });
  }
  return checked.data.upstreams;
}

function write(dataDir: string, upstreams: Record<string, UpstreamConfig>): void {
  const path = join(dataDir, UPSTREAMS_FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  // Written aside and renamed, so a reader (a running `arbiter serve`) never sees half a file.
  writeFileSync(temporary, `${JSON.stringify({ upstreams }, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

export function addUpstream(dataDir: string, name: string, config: UpstreamConfig): void {
  if (!UPSTREAM_NAME.test(name)) throw new ArbiterError("USAGE", `upstream name ${JSON.stringify(name)} must be 1 to 63 lowercase letters, digits, _ or -, starting with a letter or digit`);
  const checked = upstreamConfigSchema.safeParse(config);
  if (!checked.success) throw new ArbiterError("USAGE", `upstream ${name}: ${checked.error.issues.map((i) => `${i.path.join(".") || "config"}: ${i.message}`).join("; ")}`);
  const upstreams = readUpstreams(dataDir);
  if (upstreams[name]) throw new ArbiterError("CONFLICT", `an upstream named ${name} exists; remove it first`, { name });
  write(dataDir, { ...upstreams, [name]: checked.data });
}

export function removeUpstream(dataDir: string, name: string): void {
  const upstreams = readUpstreams(dataDir);
  if (!upstreams[name]) throw new ArbiterError("NOT_FOUND", `no upstream named ${name}`, { name });
  const { [name]: _removed, ...rest } = upstreams;
  write(dataDir, rest);
}
