// `arbiter serve` sends approver notifications through the real CLI: webhooks from its settings, the link to its own address, a clean stop.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import type { ApprovalMessage } from "../../src/notify/index.js";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from "../../src/notify/index.js";
import { spawnArbiter, tempDir } from "../support/cli.js";
import { startReceiver } from "./receiver.js";

const SECRET = "serve-signing-secret-0042";
const work = tempDir("arbiter-notify-serve-");
const hook = await startReceiver();
afterAll(() => hook.close());

it("arbiter serve POSTs each approval it opens to the webhooks in its settings, linking to itself, and never prints the secret", async () => {
  const data = join(work, "data");
  const child = spawnArbiter(["serve", "--demo", "--port", "0", "--log-level", "warn", "--data", data], {
    ARBITER_NOTIFY_WEBHOOKS: JSON.stringify([{ name: "approvers", url: hook.url, secret: SECRET }]),
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  for (let i = 0; i < 200 && !/mcp-gateway \(enforcement point: pep\): arb_/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
  const url = /serving (http:\S+)/.exec(out)?.[1] as string;
  const keys = (JSON.parse(readFileSync(join(data, "demo-credentials.json"), "utf8")) as { api_keys: Record<string, string> }).api_keys;
  const answer = await fetch(`${url}/v1/decisions`, {
    method: "POST",
    headers: { authorization: `Bearer ${keys["mcp-gateway"] ?? ""}`, "content-type": "application/json" },
    body: JSON.stringify({ subject: { id: "release-pipeline" }, action: "deploy", resource: { type: "Environment", id: "production", attributes: { tier: "production" } }, args: { api_key: "AKIAIOSFODNN7EXAMPLE" } }),
  });
  const decision = (await answer.json()) as { decision_id: string; reason_code: string; approval_request: { id: string } };
  expect(decision.reason_code).toBe("APPROVAL_REQUIRED");

  const [got] = await hook.waitFor(1);
  const message = JSON.parse(got?.body ?? "") as ApprovalMessage;
  expect(message).toMatchObject({ approval_id: decision.approval_request.id, decision_id: decision.decision_id, call: { arguments: { api_key: "[MASKED:secret]" } } });
  expect(message.approve_url).toBe(`${url}/#/approvals/${decision.approval_request.id}`);
  expect(verifySignature(SECRET, Number(got?.headers[TIMESTAMP_HEADER]), got?.body ?? "", String(got?.headers[SIGNATURE_HEADER]))).toBe(true);

  const approved = await fetch(`${url}/v1/approvals/${decision.approval_request.id}/approve`, {
    method: "POST",
    headers: { authorization: `Bearer ${keys.bob ?? ""}`, "content-type": "application/json" },
    body: JSON.stringify({ justification: "CAB-118" }),
  });
  expect(approved.status).toBe(200);

  child.kill("SIGTERM");
  expect(await exited).toBe(0);
  expect(out + err).not.toContain(SECRET);
  expect(out + err).not.toContain("AKIAIOSFODNN7EXAMPLE");
});
