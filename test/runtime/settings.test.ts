// The settings catalog: precedence, sources, validation messages, the template and the reference page.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { isArbiterError } from "../../src/record/index.js";
import { catalog, formatSetting, loadSettings, settingsTemplate, SETTINGS_FILE } from "../../src/runtime/settings/index.js";
import { ROOT, tempDir } from "../support/cli.js";

const work = tempDir("arbiter-settings-");
let n = 0;
function dirWith(settings?: string, config?: object): string {
  const dir = join(work, `d${n++}`);
  mkdirSync(dir);
  if (settings !== undefined) writeFileSync(join(dir, SETTINGS_FILE), settings);
  if (config !== undefined) writeFileSync(join(dir, "config.json"), JSON.stringify(config));
  return dir;
}

function failure(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isArbiterError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error("expected a failure");
}

describe("loadSettings", () => {
  it("gives every setting its default, with the source default, when nothing is set", () => {
    const { settings, sources } = loadSettings({ dir: dirWith(), env: {} });
    expect(settings.server).toEqual({ host: "127.0.0.1", port: 8700, workers: 1, log_level: "info", body_limit: 65536, linkage_body_limit: 16_777_216, headers_timeout: 10_000, request_timeout: 30_000, keep_alive_timeout: 72_000, cors_origins: [], ext_authz_port: null, proxy_port: null, proxy_timeout: 30_000, proxy_body_limit: 1_048_576, proxy_header_limit: 16_384, proxy_mask_limit: 8_388_608 });
    expect(settings.mcp).toEqual({ max_sessions: 64, max_sessions_per_identity: 8, idle_timeout: 1_800_000, approval_timeout: 120_000, call_timeout: 60_000 });
    for (const { key } of catalog()) expect(sources[key]).toEqual({ source: "default" });
  });

  it("takes a flag over the environment, the environment over the file, the file over the default", () => {
    const dir = dirWith("# mine\nserver:\n  port: 8801\n  host: 0.0.0.0\n  log_level: warn\nmcp:\n  idle_timeout: 10m\n");
    const { settings, sources } = loadSettings({ dir, env: { ARBITER_PORT: "8802", ARBITER_HOST: "::1", ARBITER_LOG_LEVEL: "" }, flags: { "server.port": "8803" } });
    expect(settings.server.port).toBe(8803);
    expect(sources["server.port"]).toEqual({ source: "flag", flag: "--port" });
    expect(settings.server.host).toBe("::1");
    expect(sources["server.host"]).toEqual({ source: "env", env: "ARBITER_HOST" });
    // An empty variable is unset: the file's value stands.
    expect(settings.server.log_level).toBe("warn");
    expect(sources["server.log_level"]).toEqual({ source: "file", file: join(dir, SETTINGS_FILE), line: 5 });
    expect(settings.mcp.idle_timeout).toBe(600_000);
    expect(sources["mcp.idle_timeout"]).toMatchObject({ source: "file", line: 7 });
  });

  it("reads units, lists and bare numbers the way each kind documents", () => {
    const dir = dirWith("server:\n  body_limit: 1MiB\n  cors_origins: [https://a.example, http://b.example:8080]\nledger:\n  checkpoint_interval: 250\nmcp:\n  call_timeout: 90\n");
    const { settings } = loadSettings({ dir, env: { ARBITER_MCP_APPROVAL_TIMEOUT: "2h", ARBITER_CORS_ORIGINS: "" } });
    expect(settings.server.body_limit).toBe(1024 * 1024);
    expect(settings.server.cors_origins).toEqual(["https://a.example", "http://b.example:8080"]);
    expect(settings.ledger.checkpoint_interval).toBe(250); // a bare checkpoint interval is milliseconds, as --checkpoint-interval always took
    expect(settings.mcp.call_timeout).toBe(90_000); // a bare timeout is seconds, as the CLI's other durations
    expect(settings.mcp.approval_timeout).toBe(7_200_000);
    expect(loadSettings({ env: { ARBITER_CORS_ORIGINS: "https://a.example, https://c.example" } }).settings.server.cors_origins).toEqual(["https://a.example", "https://c.example"]);
  });

  it("reads an older data directory's checkpoint interval from config.json, below settings.yaml", () => {
    const config = { format: "arbiter-data/v1", origin: "x", checkpoint_interval_ms: 5000, created_at: "2026-01-01T00:00:00Z" };
    const old = loadSettings({ dir: dirWith(undefined, config), env: {} });
    expect(old.settings.ledger.checkpoint_interval).toBe(5000);
    expect(old.sources["ledger.checkpoint_interval"]).toMatchObject({ source: "file", file: expect.stringMatching(/config\.json$/) as string });
    const both = loadSettings({ dir: dirWith("ledger:\n  checkpoint_interval: 2s\n", config), env: {} });
    expect(both.settings.ledger.checkpoint_interval).toBe(2000);
  });

  it("names the file and line, the setting and its allowed values of every problem at once", () => {
    const dir = dirWith("server:\n  port: 99999\n  hots: x\nmcp:\n  idle_timeout: 5 minutes\nbogus: 1\n");
    const { code, message } = failure(() => loadSettings({ dir, env: {} }));
    expect(code).toBe("SETTINGS_INVALID");
    const path = join(dir, SETTINGS_FILE);
    expect(message.split("\n  ")).toEqual([
      `${path}:2: server.port must be an integer from 0 to 65535 (0: any free port); got 99999`,
      `${path}:3: unknown setting server.hots; server has host, port, workers, log_level, body_limit, linkage_body_limit, headers_timeout, request_timeout, keep_alive_timeout, cors_origins, ext_authz_port, proxy_port, proxy_timeout, proxy_body_limit, proxy_header_limit, proxy_mask_limit`,
      `${path}:5: mcp.idle_timeout must be a duration from 1s to 24h, such as 500ms, 30s, 15m or 2h (a bare number is seconds); got "5 minutes"`,
      `${path}:6: unknown section "bogus"; the sections are server, ledger, mcp, stream, notify, limits`,
    ]);
  });

  it("refuses YAML that does not parse, a file that is not sections, and values of the wrong type", () => {
    expect(failure(() => loadSettings({ dir: dirWith("server:\n  port: [1\n") })).message).toMatch(/settings\.yaml:\d+: /);
    expect(failure(() => loadSettings({ dir: dirWith("server:\n  port: 1\n  port: 2\n") })).message).toMatch(/settings\.yaml:3: .*unique/i);
    expect(failure(() => loadSettings({ dir: dirWith("- server\n") })).message).toMatch(/settings\.yaml:1: expected sections such as `server:`/);
    expect(failure(() => loadSettings({ dir: dirWith("server: 8700\n") })).message).toMatch(/settings\.yaml:1: server must hold settings/);
    expect(failure(() => loadSettings({ dir: dirWith('server:\n  port: "8700"\n') })).message).toMatch(/server\.port must be an integer/);
    expect(failure(() => loadSettings({ dir: dirWith("server:\n  cors_origins: https://a.example/path\n") })).message).toMatch(/server\.cors_origins must be a list of origins/);
    expect(failure(() => loadSettings({ dir: dirWith("server:\n  log_level: loud\n") })).message).toMatch(/server\.log_level must be one of fatal, error, warn, info, debug, trace, silent; got "loud"/);
  });

  it("says which variable or flag is wrong; a bad flag is a usage error", () => {
    expect(failure(() => loadSettings({ env: { ARBITER_PORT: "http" } }))).toEqual({ code: "SETTINGS_INVALID", message: '$ARBITER_PORT must be an integer from 0 to 65535 (0: any free port); got "http"' });
    expect(failure(() => loadSettings({ env: {}, flags: { "server.port": "-1" } }))).toEqual({ code: "USAGE", message: "--port must be an integer from 0 to 65535 (0: any free port); got -1" });
    expect(failure(() => loadSettings({ env: { ARBITER_BODY_LIMIT: "64KB" } })).message).toMatch(/^\$ARBITER_BODY_LIMIT must be a size from 1KiB to 16MiB/);
  });

  it("accepts a missing data directory and an empty or comment-only file", () => {
    expect(loadSettings({ dir: join(work, "nowhere"), env: {} }).settings.server.port).toBe(8700);
    expect(loadSettings({ dir: dirWith(""), env: {} }).settings.server.port).toBe(8700);
    expect(loadSettings({ dir: dirWith("# nothing yet\nserver:\n"), env: {} }).settings.server.port).toBe(8700);
  });
});

describe("the template and the reference", () => {
  it("uncommented, the template is a valid settings file that sets every default", () => {
    const uncommented = settingsTemplate().replace(/^ {2}# ([a-z_]+: )/gm, "  $1");
    const dir = dirWith(uncommented);
    const { settings, sources } = loadSettings({ dir, env: {} });
    expect(settings).toEqual(loadSettings({ env: {} }).settings);
    for (const { key } of catalog()) expect(sources[key].source).toBe("file");
    expect(Object.keys(parse(uncommented) as object)).toEqual(["server", "ledger", "mcp", "stream", "notify", "limits"]);
  });

  it("docs/settings.md lists every setting with its default, variable and flag", () => {
    const doc = readFileSync(join(ROOT, "docs", "settings.md"), "utf8");
    for (const { key, setting } of catalog()) {
      const row = doc.split("\n").find((line) => line.startsWith(`| \`${key}\` |`));
      expect(row, key).toBeDefined();
      const cells = (row as string).split(" | ");
      expect(cells[1]).toBe(`\`${formatSetting(key, setting.default)}\``);
      expect(cells[2]).toBe(setting.env !== undefined ? `\`${setting.env}\`` : "");
      expect(cells[3]).toBe(setting.flag !== undefined ? `\`${setting.flag.split(" ")[0]}\`` : "");
    }
  });
});
