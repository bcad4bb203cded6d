// Sentences of the docs that once disagreed with the code, checked against the code that decides them.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

describe("docs agree with the code", () => {
  it("cli.md and linkage.md name the report files `arbiter link` writes", () => {
    const source = read("src/cli/commands/link.ts");
    expect(source).toContain("`arbiter-link-${summary.run_id}`");
    expect(read("docs/cli.md")).toContain("`arbiter-link-<run>.json`");
    expect(read("docs/cli.md")).not.toContain("linkage-<run>");
    expect(read("docs/linkage.md")).toContain("`arbiter-link-RUN.json`");
  });

  it("identities.md says that group, role and attribute changes are recorded as `updated`", () => {
    expect(read("src/identity/directory.ts")).toMatch(/lifecycleRecord\("updated", after, actor, \{ note, attributes: \{ previous \} \}\)/);
    const doc = read("docs/identities.md");
    expect(doc).not.toMatch(/applied but not recorded/);
    expect(doc).toContain("`updated` event, with the previous values in `attributes.previous`");
  });

  it("mcp.md names the HTTP proxy that shares the masking module as the one Arbiter has", () => {
    expect(read("src/enforce/http/proxy.ts")).toMatch(/from "\.\.\/masking\/index\.js"/);
    expect(read("docs/mcp.md")).toContain("Arbiter's own reverse proxy, `serve --proxy-port`");
    expect(read("docs/http.md")).toContain("--proxy-port");
  });
});
