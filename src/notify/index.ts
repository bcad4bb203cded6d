// Approver notifications: webhooks told, with the exact call masked, when an approval request opens.
export { ApproverNotifier, type DeliveryPass, type NotifierDeps, type NotifierOptions, type NotifyOutbox } from "./notifier.js";
export { APPROVAL_EVENT, approvalMessage, consoleLinks, renderBody, slackBody, type ApprovalMessage } from "./message.js";
export { MAX_ARGUMENT_BYTES, maskArguments } from "./arguments.js";
export { DELIVERY_HEADER, EVENT_HEADER, IDEMPOTENCY_HEADER } from "./post.js";
export { SIGNATURE_HEADER, TIMESTAMP_HEADER, signBody, verifySignature } from "./sign.js";
export { MIN_SECRET_LENGTH, WEBHOOK_FORMATS, describeWebhook, webhookOrigin, webhookSchema, webhooksSchema, webhookUrlSchema, type Webhook, type WebhookFormat } from "./webhook.js";
