// `arbiter mcp add|list|remove` and the usage errors of `arbiter mcp wrap`, through the real CLI.
import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UPSTREAMS_FILE } from "../../../src/enforce/mcp/index.js";
import { arbiter, tempDir } from "../../support/cli.js";

describe("arbiter mcp", () => {
  it("adds, lists and removes the upstreams serve exposes, keeping secrets out of listings", () => {
    const data = join(tempDir(), "data");
    expect(arbiter(["init", "--data", data]).status).toBe(0);
    const added = arbiter(["mcp", "add", "files", "--data", data, "--env", "TOKEN=s3cret", "--sensitivity", "confidential", "--approval-timeout", "30", "--", "npx", "-y", "@modelcontextprotocol/server-filesystem", "/workspace"]);
    expect(added).toMatchObject({ status: 0, stdout: "upstream files added; `arbiter serve` exposes it at /mcp/files\n" });
    expect(arbiter(["mcp", "add", "docs", "--data", data, "--url", "https://mcp.example.com/mcp", "--header", "Authorization=Bearer upstream-token"]).status).toBe(0);
    expect(statSync(join(data, UPSTREAMS_FILE)).mode & 0o777).toBe(0o600);

    const listed = arbiter(["mcp", "list", "--data", data, "--json"]);
    expect(JSON.parse(listed.stdout)).toEqual({
      upstreams: [
        { name: "files", path: "/mcp/files", command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "/workspace"], env: ["TOKEN"], sensitivity: "confidential" },
        { name: "docs", path: "/mcp/docs", url: "https://mcp.example.com/mcp" },
      ],
    });
    expect(listed.stdout).not.toContain("s3cret");
    expect(listed.stdout).not.toContain("upstream-token");

    expect(arbiter(["mcp", "add", "files", "--data", data, "--", "true"])).toMatchObject({ status: 1, stderr: "arbiter: an upstream named files exists; remove it first [CONFLICT]\n" });
    expect(arbiter(["mcp", "add", "Bad/Name", "--data", data, "--", "true"]).status).toBe(2);
    expect(arbiter(["mcp", "remove", "files", "--data", data]).stdout).toBe("upstream files removed\n");
    expect(arbiter(["mcp", "remove", "files", "--data", data])).toMatchObject({ status: 1, stderr: "arbiter: no upstream named files [NOT_FOUND]\n" });
    expect(arbiter(["mcp", "list", "--data", data]).stdout).toBe("docs  /mcp/docs  https://mcp.example.com/mcp\n");
  });

  it.each([
    [["mcp", "wrap", "--", "true"], "arbiter: give the agent's credential with --credential or $ARBITER_AGENT_CREDENTIAL [USAGE]\n"],
    [["mcp", "wrap", "--credential", "k"], "arbiter: give either the upstream command after -- or --url, not both [USAGE]\n"],
    [["mcp", "wrap", "--credential", "k", "--url", "http://x/mcp", "--", "true"], "arbiter: give either the upstream command after -- or --url, not both [USAGE]\n"],
    [["mcp", "wrap", "--credential", "k", "--server-name", "a/b", "--", "true"], "arbiter: --server-name must be 1 to 64 letters, digits, . _ or - [USAGE]\n"],
    [["mcp", "wrap", "--credential", "k", "--server", "http://127.0.0.1:9", "--", "true"], "arbiter: --server needs the gateway's credential: --pep-credential or $ARBITER_PEP_CREDENTIAL [USAGE]\n"],
    [["mcp", "wrap", "--credential", "k", "--pep-credential", "p", "--", "true"], "arbiter: --pep-credential goes with --server; without it, decisions are made in this process over the data directory [USAGE]\n"],
    [["mcp", "wrap", "--credential", "k", "--approval-timeout", "0", "--", "true"], "arbiter: --approval-timeout must be a duration from 1s to 24h, such as 500ms, 30s, 15m or 2h (a bare number is seconds); got \"0\" [USAGE]\n"],
    [["mcp", "wrap", "--credential", "k", "--call-timeout", "soon", "--", "true"], "arbiter: --call-timeout must be a duration from 1s to 24h, such as 500ms, 30s, 15m or 2h (a bare number is seconds); got \"soon\" [USAGE]\n"],
  ])("wrap refuses %j", (args, stderr) => {
    const env = { ARBITER_AGENT_CREDENTIAL: "", ARBITER_PEP_CREDENTIAL: "" };
    expect(arbiter(args, { env })).toMatchObject({ status: 2, stderr });
  });
});
