// Answers that carry a credential, a decision or a record are never cached; no answer is MIME-sniffed.
import { beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

async function headersOf(method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number; cache: string | null; sniff: string | null }> {
  const response = await fetch(`${server.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  await response.arrayBuffer();
  return { status: response.status, cache: response.headers.get("cache-control"), sniff: response.headers.get("x-content-type-options") };
}

const decision = () => ({ subject: { credential: server.keys["research-agent"] }, action: "search_docs", resource: { type: "Tool", id: "docs/search", attributes: { server: "docs", sensitivity: "public" } } });

describe("cache and sniffing headers", () => {
  it.each([
    ["a new API key", "POST", "/v1/identities/research-agent/keys", "admin", undefined, 201],
    ["a token", "POST", "/v1/tokens", "admin", { identity: "research-agent" }, 201],
    ["a decision", "POST", "/v1/decisions", "pep", "decision", 200],
    ["the decision list", "GET", "/v1/decisions", "admin", undefined, 200],
    ["a ledger entry", "GET", "/v1/log/entries/0", "admin", undefined, 200],
    ["a checkpoint", "GET", "/v1/log/checkpoint", undefined, undefined, 200],
    ["an AuthZEN evaluation", "POST", "/access/v1/evaluation", "pep", { subject: { type: "agent", id: "research-agent" }, action: { name: "search_docs" }, resource: { type: "Tool", id: "docs/search", properties: { server: "docs", sensitivity: "public" } } }, 200],
    ["health", "GET", "/healthz", undefined, undefined, 200],
    ["a refusal without credential", "POST", "/v1/decisions", "none", "decision", 401],
    ["a refusal for a missing role", "GET", "/v1/decisions", "pep", undefined, 403],
    ["an unknown API route", "GET", "/v1/nothing-here", undefined, undefined, 404],
    ["a bad body", "POST", "/v1/decisions", "pep", { surprise: 1 }, 400],
  ] as const)("no-store and nosniff on %s", async (_name, method, path, as, body, status) => {
    const headers = as === "admin" ? server.as.admin : as === "pep" ? server.as.pep : as === "none" ? { "content-type": "application/json" } : {};
    const answer = await headersOf(method, path, headers, body === "decision" ? decision() : body);
    expect(answer).toEqual({ status, cache: "no-store", sniff: "nosniff" });
  });

  it("sniffs nothing on public documents, which may be cached", async () => {
    for (const path of ["/openapi.json", "/.well-known/jwks.json", "/metrics", "/problems/LEDGER_UNAVAILABLE", "/nothing-here"]) {
      const answer = await headersOf("GET", path);
      expect(answer.sniff, path).toBe("nosniff");
      expect(answer.cache, path).toBeNull();
    }
  });
});
