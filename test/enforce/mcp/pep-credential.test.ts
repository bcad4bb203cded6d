// `arbiter mcp wrap --server` checks its own --pep-credential before it starts the upstream, through the real CLI and a real server.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, tempDir } from "../../support/cli.js";
import { startWorld, type World } from "./world.js";

let world: World;
let scratch: string;

beforeAll(async () => {
  world = await startWorld();
  scratch = tempDir("arbiter-pep-");
});

/** Runs `mcp wrap --server` asynchronously (the server lives in this process) with an upstream that leaves a file when it starts. */
function wrap(pepCredential: string, marker: string, server = world.url): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const upstream = [process.execPath, "-e", `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "started")`];
  const child = spawn(process.execPath, [CLI, "mcp", "wrap", "--credential", world.keys.coder as string, "--server", server, "--pep-credential", pepCredential, "--", ...upstream], {
    cwd: ROOT,
    env: { ...process.env, ARBITER_AGENT_CREDENTIAL: "", ARBITER_PEP_CREDENTIAL: "" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, stdout, stderr })));
}

describe("mcp wrap --server checks its PEP credential at start", () => {
  it("refuses a credential the server does not know, before the upstream starts", async () => {
    const marker = join(scratch, "wrong");
    const result = await wrap("arb_thisKeyWasNeverIssued0000000000000000", marker);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^arbiter: Arbiter at ${world.url.replace(/[.:/]/g, "\\$&")} refused the gateway's --pep-credential \\(the operator credential was refused: .+\\); give the API key or token of an identity with the pep role \\[UNAUTHENTICATED\\]\\n$`));
    expect(result.stdout).toBe("");
    expect(existsSync(marker)).toBe(false);
  });

  it("refuses the credential of an identity without the pep role, and the server records the refusal", async () => {
    const marker = join(scratch, "admin");
    const before = world.runtime.ledger.size();
    const result = await wrap(world.keys.carol as string, marker);
    expect(result).toMatchObject({
      status: 1,
      stdout: "",
      stderr: `arbiter: the gateway's --pep-credential is not an enforcement point's at ${world.url} (carol needs the role pep for POST /v1/visibility); use the key of an identity with the pep role [FORBIDDEN]\n`,
    });
    expect(existsSync(marker)).toBe(false);
    const records = Array.from({ length: world.runtime.ledger.size() - before }, (_, i) => JSON.parse(world.runtime.ledger.entry(before + i).toString("utf8")) as Record<string, unknown>);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ kind: "event", subject: { id: "carol" }, action: "POST /v1/visibility", outcome: "deny", reason_code: "ROLE_REQUIRED" });
  });

  it("says when the server cannot be reached, with the environment exit code", async () => {
    const marker = join(scratch, "unreachable");
    const result = await wrap(world.keys.gateway as string, marker, "http://127.0.0.1:9");
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/^arbiter: Arbiter at http:\/\/127\.0\.0\.1:9 could not be reached: .+ \[LEDGER_UNAVAILABLE\]\n$/);
    expect(existsSync(marker)).toBe(false);
  });

  it("admits a pep credential: the upstream starts", async () => {
    const marker = join(scratch, "pep");
    // The upstream exits at once, so the gateway ends with the upstream's failure to initialise; what matters is that it was started.
    await wrap(world.keys.gateway as string, marker);
    expect(existsSync(marker)).toBe(true);
  });
});
