// `arbiter config show`, and `arbiter serve` reading its settings: flags, environment, settings.yaml, a busy port, CORS.
import { existsSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { arbiter, spawnArbiter, tempDir } from "../support/cli.js";

const work = tempDir("arbiter-config-");
const data = join(work, "data");

/** Starts `arbiter serve`, waits for its serving line (or its exit), and stops it after the file. */
async function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ url?: string; code?: number | null; stderr: string; stop: () => Promise<void> }> {
  const child = spawnArbiter(["serve", "--data", data, "--log-level", "silent", ...args], env);
  let out = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await exited;
  };
  afterAll(stop);
  const url = await Promise.race([
    (async () => {
      while (!/serving (http:\S+)/.test(out)) await new Promise((r) => setTimeout(r, 25));
      return /serving (http:\S+)/.exec(out)?.[1];
    })(),
    exited.then(() => undefined),
  ]);
  if (url !== undefined) return { url, stderr, stop };
  return { code: await exited, stderr, stop };
}

describe("arbiter config show", () => {
  it("prints each setting's value and where it came from: flag, env, file with line, default", () => {
    expect(arbiter(["init", "--data", data]).status).toBe(0);
    writeFileSync(join(data, "settings.yaml"), "# ours\nserver:\n  log_level: warn\n  port: 8801\nmcp:\n  idle_timeout: 10m\n");
    const shown = arbiter(["config", "show", "--data", data, "--port", "8899"], { env: { ARBITER_HOST: "0.0.0.0" } });
    expect(shown.status).toBe(0);
    const lines = shown.stdout.trim().split("\n");
    expect(lines).toContainEqual(expect.stringMatching(/^server\.port +8899 +\(flag --port\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^server\.host +0\.0\.0\.0 +\(env \$ARBITER_HOST\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^server\.log_level +warn +\(file .*settings\.yaml:3\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^mcp\.idle_timeout +10m +\(file .*settings\.yaml:6\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^server\.cors_origins +\(none\) +\(default\)$/));
    const json = JSON.parse(arbiter(["config", "show", "--json", "--data", data]).stdout) as { settings: { key: string; value: unknown; source: string; line?: number; env_var?: string }[] };
    expect(json.settings.find((s) => s.key === "server.port")).toMatchObject({ value: 8801, source: "file", line: 4, env_var: "ARBITER_PORT" });
    expect(json.settings.find((s) => s.key === "server.body_limit")).toMatchObject({ value: 65536, source: "default" });
  });

  it("refuses an invalid settings file with its line, and a bad flag as a usage error", () => {
    const dir = join(work, "bad");
    expect(arbiter(["init", "--data", dir]).status).toBe(0);
    writeFileSync(join(dir, "settings.yaml"), "server:\n  port: eighty\n");
    const shown = arbiter(["config", "show", "--data", dir]);
    expect(shown.status).toBe(3);
    expect(shown.stderr).toBe(`arbiter: ${join(dir, "settings.yaml")}:2: server.port must be an integer from 0 to 65535 (0: any free port); got "eighty" [SETTINGS_INVALID]\n`);
    expect(arbiter(["config", "show", "--data", dir, "--checkpoint-interval", "soon"]).status).toBe(2);
  });

  it("prints a template that documents every setting", () => {
    const template = arbiter(["config", "template"]);
    expect(template.status).toBe(0);
    expect(template.stdout).toMatch(/^ {2}# port: 8700$/m);
    expect(template.stdout).toMatch(/\$ARBITER_PORT, --port/);
  });
});

describe("arbiter serve and its settings", () => {
  let blocker: Server | undefined;
  afterAll(() => blocker?.close());

  it("says which flag, variable or setting to change when the port is busy", async () => {
    blocker = createServer();
    const port = await new Promise<number>((resolve) => blocker?.listen(0, "127.0.0.1", () => resolve((blocker?.address() as { port: number }).port)));
    const busy = await serve([], { ARBITER_PORT: String(port) });
    expect(busy.code).toBe(2);
    expect(busy.stderr).toContain(`cannot listen on 127.0.0.1:${port} (port: env $ARBITER_PORT, host: default): the port is already in use. Choose another with --port, $ARBITER_PORT or server.port in settings.yaml, e.g. \`arbiter serve --port 8800\` or \`npm start -- --port 8800\``);
  });

  it("stops before writing anything when a setting is invalid", async () => {
    const fresh = join(work, "fresh");
    const bad = await serve(["--demo", "--data", fresh], { ARBITER_MCP_IDLE_TIMEOUT: "forever" });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/\$ARBITER_MCP_IDLE_TIMEOUT must be a duration/);
    expect(existsSync(fresh)).toBe(false);
  });

  it("listens where the environment says, with CORS off unless origins are listed", async () => {
    const first = await serve([], { ARBITER_PORT: "0", ARBITER_HOST: "127.0.0.1" });
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const preflight = { method: "OPTIONS", headers: { origin: "https://console.example.com", "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" } };
    const off = await fetch(`${first.url}/v1/decisions`, preflight);
    expect(off.headers.get("access-control-allow-origin")).toBeNull();
    await first.stop();

    writeFileSync(join(data, "settings.yaml"), "server:\n  port: 0\n  cors_origins: [https://console.example.com]\n");
    const second = await serve([]);
    const on = await fetch(`${second.url}/v1/decisions`, preflight);
    expect(on.status).toBe(204);
    expect(on.headers.get("access-control-allow-origin")).toBe("https://console.example.com");
    expect(on.headers.get("access-control-allow-headers")).toBe("authorization, content-type");
    const other = await fetch(`${second.url}/v1/decisions`, { ...preflight, headers: { ...preflight.headers, origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    await second.stop();
  });
});
