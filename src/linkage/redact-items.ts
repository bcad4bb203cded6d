// Outside events read as the ledger will record them: what the detectors find in their free-text fields becomes
// the same keyed marker a decision's leaf holds, so that the join compares like with like (record/redact.ts).
import { redactText } from "../record/index.js";
import type { ForeignDecision, LinkEvent } from "./event.js";

/** `value` redacted as the ledger redacts the field it lands in; identities keep their e-mail addresses. */
const free = (value: string, key: Buffer): string => redactText(value, key, true);
const who = (value: string, key: Buffer): string => redactText(value, key, false);
const optional = (value: string | undefined, key: Buffer, redact: (v: string, k: Buffer) => string): string | undefined => (value === undefined ? undefined : redact(value, key));

/** The event with its subject, credential, action, resource and original id redacted; the same object when nothing was found. */
export function redactEvent(event: LinkEvent, key: Buffer): LinkEvent {
  const subject = who(event.subject.id, key);
  const credentialId = optional(event.subject.credentialId, key, who);
  const action = free(event.action, key);
  const resource = free(event.resource.id, key);
  const type = optional(event.resource.type, key, free);
  const originalId = optional(event.originalId, key, free);
  if (subject === event.subject.id && credentialId === event.subject.credentialId && action === event.action && resource === event.resource.id && type === event.resource.type && originalId === event.originalId) return event;
  return {
    ...event,
    subject: { ...event.subject, id: subject, ...(credentialId !== undefined ? { credentialId } : {}) },
    action,
    resource: { id: resource, ...(type !== undefined ? { type } : {}) },
    ...(originalId !== undefined ? { originalId } : {}),
  };
}

/** The foreign decision with its subject, action, resource and source id redacted; the same object when nothing was found. */
export function redactForeign(decision: ForeignDecision, key: Buffer): ForeignDecision {
  const subject = who(decision.subject.id, key);
  const action = free(decision.action, key);
  const resource = free(decision.resource.id, key);
  const type = optional(decision.resource.type, key, free);
  const sourceId = free(decision.sourceId, key);
  if (subject === decision.subject.id && action === decision.action && resource === decision.resource.id && type === decision.resource.type && sourceId === decision.sourceId) return decision;
  return { ...decision, subject: { id: subject }, action, resource: { id: resource, ...(type !== undefined ? { type } : {}) }, sourceId };
}
