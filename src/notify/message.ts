// The notification an approver receives: a generic JSON body, or a Slack incoming-webhook body built from it.
import type { ApprovalOpened } from "../decide/index.js";
import { maskArguments, maskFreeText } from "./arguments.js";
import type { WebhookFormat } from "./webhook.js";

export const APPROVAL_EVENT = "approval.requested";

/** The generic JSON body (format `json`); its shape is documented in docs/notifications.md. */
export interface ApprovalMessage {
  event: typeof APPROVAL_EVENT;
  approval_id: string;
  decision_id: string;
  requester: { id: string; type: string; owner?: string };
  call: { action: string; resource: { type: string; id: string }; arguments?: unknown; arguments_omitted?: string; masked_values?: number };
  policy: { id: string; note: string };
  approver_role: string;
  created_at: string;
  expires_at: string;
  pep?: { id: string; kind: string };
  /** Where an approver decides: the console's approval page, when a public URL is configured. */
  approve_url?: string;
  decision_url?: string;
}

/** The console's page of an approval and of a decision (hash routes, agreed with the console). */
export function consoleLinks(publicUrl: string, approvalId: string, decisionId: string): { approve_url: string; decision_url: string } {
  const base = publicUrl.replace(/\/+$/, "");
  return { approve_url: `${base}/#/approvals/${encodeURIComponent(approvalId)}`, decision_url: `${base}/#/decisions/${encodeURIComponent(decisionId)}` };
}

export function approvalMessage(opened: ApprovalOpened, publicUrl: string | undefined): ApprovalMessage {
  const args = maskArguments(opened);
  return {
    event: APPROVAL_EVENT,
    approval_id: opened.requestId,
    decision_id: opened.decisionId,
    requester: opened.requester,
    call: {
      action: maskFreeText(opened.action),
      resource: { type: opened.resource.type, id: maskFreeText(opened.resource.id) },
      ...(args && "arguments" in args ? { arguments: args.arguments } : {}),
      ...(args && "omitted" in args ? { arguments_omitted: args.omitted } : {}),
      ...(args ? { masked_values: args.masked } : {}),
    },
    policy: { id: opened.policy, note: opened.note },
    approver_role: opened.approverRole,
    created_at: opened.createdAt,
    expires_at: opened.expiresAt,
    ...(opened.pep ? { pep: opened.pep } : {}),
    ...(publicUrl !== undefined ? consoleLinks(publicUrl, opened.requestId, opened.decisionId) : {}),
  };
}

/** Slack's mrkdwn needs only these three escaped (api.slack.com, "Escaping text"); code spans are closed by backticks. */
function mrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/`/g, "'");
}

/** A Slack incoming-webhook body (`text` for notifications, Block Kit `blocks` for the message). */
export function slackBody(m: ApprovalMessage): Record<string, unknown> {
  const who = `${m.requester.id} (${m.requester.type}${m.requester.owner ? `, owned by ${m.requester.owner}` : ""})`;
  const what = `${m.call.action} on ${m.call.resource.type}::${m.call.resource.id}`;
  const args = m.call.arguments !== undefined ? `\`\`\`${mrkdwn(JSON.stringify(m.call.arguments, null, 1))}\`\`\`` : mrkdwn(m.call.arguments_omitted ?? "no arguments");
  const blocks: Record<string, unknown>[] = [
    { type: "header", text: { type: "plain_text", text: "Approval needed", emoji: false } },
    { type: "section", text: { type: "mrkdwn", text: `*${mrkdwn(who)}* asks for \`${mrkdwn(what)}\`\n>${mrkdwn(m.policy.note)}` } },
    {
      type: "section",
      fields: [
        { type: "mrkdwn", text: `*Request*\n${mrkdwn(m.approval_id)}` },
        { type: "mrkdwn", text: `*Expires*\n${mrkdwn(m.expires_at)}` },
        { type: "mrkdwn", text: `*Policy*\n${mrkdwn(m.policy.id)}` },
        { type: "mrkdwn", text: `*Approver role*\n${mrkdwn(m.approver_role)}` },
      ],
    },
    { type: "section", text: { type: "mrkdwn", text: `*Arguments (masked)*\n${args}` } },
  ];
  if (m.approve_url) blocks.push({ type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: "Review in Arbiter" }, url: m.approve_url, style: "primary" }] });
  else blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: mrkdwn(`Decide with: arbiter approvals approve ${m.approval_id} --justification "…"`) }] });
  return { text: mrkdwn(`Approval needed: ${who} asks for ${what} (request ${m.approval_id}, expires ${m.expires_at})`), blocks };
}

export function renderBody(format: WebhookFormat, message: ApprovalMessage): string {
  return JSON.stringify(format === "slack" ? slackBody(message) : message);
}
