// `--data` before the command, as a global option, and after it, through the built CLI.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { arbiter, tempDir } from "../support/cli.js";

const data = join(tempDir(), "data");
const event = `${JSON.stringify({ kind: "event", source: "ci", subject: { id: "deploy-bot", type: "pipeline" }, action: "deploy", resource: { id: "prod" }, outcome: "allow" })}\n`;

beforeAll(() => {
  expect(arbiter(["--data", data, "init"]).status).toBe(0);
  expect(arbiter(["--data", data, "log", "append", "-"], { input: event }).status).toBe(0);
});

describe("--data as a global option", () => {
  it("reads the same data directory before and after the command", () => {
    const before = arbiter(["--data", data, "log", "tail"]);
    const after = arbiter(["log", "tail", "--data", data]);
    expect(before.status).toBe(0);
    expect(before.stdout).toMatch(/^\s+0 {2}\S+Z {2}event {10}deploy-bot {2}deploy {2}prod {2}allow/);
    expect(after.stdout).toBe(before.stdout);
  });

  it("lets a --data after the command win over the global one", () => {
    const result = arbiter(["--data", join(data, "missing"), "log", "tail", "--data", data]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("deploy-bot");
  });

  it("uses the global directory, not the default, and says when it is not initialised", () => {
    const missing = join(data, "missing");
    const result = arbiter(["--data", missing, "log", "tail"]);
    expect(result.status).toBe(3);
    expect(result.stderr).toContain(`${missing} is not initialised`);
  });

  it("refuses it for a command that reads no data directory, rather than ignoring it", () => {
    const result = arbiter(["--data", data, "policy", "test", join("examples", "policies", "tests.yaml")]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe("arbiter: `policy test` takes no data directory; leave out --data [USAGE]\n");
  });
});
