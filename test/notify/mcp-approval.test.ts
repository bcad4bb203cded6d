// The webhook story end to end: a held MCP call notifies a real receiver, the approver follows the link and approves, the call completes.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { addUpstream } from "../../src/enforce/mcp/index.js";
import type { ApprovalMessage } from "../../src/notify/index.js";
import { startNotifications, type Notifications } from "../../src/runtime/index.js";
import { loadSettings } from "../../src/runtime/settings/index.js";
import { EVERYTHING, evidence, startWorld, traceparent, type World } from "../enforce/mcp/world.js";
import { startReceiver, type Receiver } from "./receiver.js";

let world: World;
let hook: Receiver;
let notifications: Notifications;
let client: Client;

beforeAll(async () => {
  world = await startWorld();
  addUpstream(world.dir, "everything", { command: process.execPath, args: [EVERYTHING, "stdio"] });
  hook = await startReceiver();
  const { notify } = loadSettings({ env: { ARBITER_NOTIFY_WEBHOOKS: JSON.stringify([{ name: "tool-approvers", url: hook.url }]), ARBITER_PUBLIC_URL: world.url } }).settings;
  notifications = startNotifications(world.runtime, notify);
});

afterAll(async () => {
  await client.close();
  await notifications.close();
  await hook.close();
});

it("a held MCP call notifies the webhook; the approver follows the link, approves, and the held call completes", async () => {
  client = new Client({ name: "notified-agent", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${world.url}/mcp/everything`), { requestInit: { headers: { authorization: `Bearer ${world.keys.coder ?? ""}` } } }));
  const { trace, meta } = traceparent();
  const call = client.callTool({ name: "get-sum", arguments: { a: 3000, b: 4 }, _meta: meta });

  const [got] = await hook.waitFor(1);
  const message = JSON.parse(got?.body ?? "") as ApprovalMessage;
  expect(message).toMatchObject({
    requester: { id: "coder", type: "agent", owner: "alice" },
    call: { action: "get-sum", resource: { type: "Tool", id: "everything/get-sum" }, arguments: { a: 3000, b: 4 } },
    policy: { id: "large-sums-need-approval", note: "Sums of 1000 or more need a tool approver's approval." },
    approver_role: "tool-approvers",
  });
  // The approver opens the link; the console's route names the approval.
  const link = new URL(message.approve_url ?? "");
  expect(link.origin + link.pathname).toBe(`${world.url}/`);
  const id = /^#\/approvals\/(apr_[^/]+)$/.exec(link.hash)?.[1];
  expect(id).toBe(message.approval_id);

  const approved = await fetch(`${world.url}/v1/approvals/${id ?? ""}/approve`, { method: "POST", headers: world.bearer("bob"), body: JSON.stringify({ justification: "checked the sum" }) });
  expect(approved.status).toBe(200);
  const result = (await call) as CallToolResult;
  expect(result.content[0]).toMatchObject({ type: "text", text: "The sum of 3000 and 4 is 3004." });

  const [held, released] = await evidence(world, trace, 2);
  expect(held?.decision).toMatchObject({ reason_code: "APPROVAL_REQUIRED", id: message.decision_id });
  expect(released?.decision).toMatchObject({ reason_code: "APPROVAL_GRANTED" });
  await notifications.notifier.idle();
  const related = world.runtime.decisions.explain(message.decision_id).related.map((r) => r.record);
  expect(related.filter((r) => r.kind === "notification")).toMatchObject([{ approval_request_id: id, attempt: 1, outcome: "delivered", final: true, status: 200 }]);
});
