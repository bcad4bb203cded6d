// docs/http.md shows the shipped snippets byte for byte (the proxy tests run those files), and the sample routes compile.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileRoutes } from "../../../src/enforce/http/index.js";
import { EXAMPLES } from "./world.js";

const doc = readFileSync(new URL("../../../docs/http.md", import.meta.url), "utf8");

describe("docs/http.md", () => {
  it.each([
    ["nginx-arbiter.conf", "nginx"],
    ["nginx-log-format.conf", "nginx"],
    ["Caddyfile", "caddyfile"],
    ["routes.yaml", "yaml"],
  ])("shows examples/http/%s as it is", (file, lang) => {
    expect(doc).toContain(`\`\`\`${lang}\n${readFileSync(join(EXAMPLES, file), "utf8")}\`\`\`\n`);
  });

  it("ships sample routes that compile", () => {
    expect(compileRoutes(readFileSync(join(EXAMPLES, "routes.yaml"), "utf8"), "routes.yaml").routes).toHaveLength(5);
  });
});
