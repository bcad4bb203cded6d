// `arbiter serve` sends approver notifications through the real CLI: webhooks from its settings, the link to its own address, a clean stop.
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import type { ApprovalMessage } from "../../src/notify/index.js";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from "../../src/notify/index.js";
import { startDemoServe, tempDir } from "../support/cli.js";
import { startReceiver } from "./receiver.js";

const SECRET = "serve-signing-secret-0042";
const work = tempDir("arbiter-notify-serve-");
const hook = await startReceiver();
afterAll(() => hook.close());

it("arbiter serve POSTs each approval it opens to the webhooks in its settings, linking to itself, and never prints the secret", async () => {
  const data = join(work, "data");
  const { child, url, keys, printed, exited } = await startDemoServe(data, {
    ARBITER_NOTIFY_WEBHOOKS: JSON.stringify([{ name: "approvers", url: hook.url, secret: SECRET }]),
  });
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
  expect(printed()).not.toContain(SECRET);
  expect(printed()).not.toContain("AKIAIOSFODNN7EXAMPLE");
});
