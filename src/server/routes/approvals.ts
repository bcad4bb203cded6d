// Approval API: pending requests for approvers, approve or deny with a justification.
import { z } from "zod";
import { approvalView, type ApprovalRequest } from "../../decide/index.js";
import { maskArguments } from "../../notify/index.js";
import { ArbiterError } from "../../record/index.js";
import { operatorOf, requireRole } from "../auth.js";
import type { ServerContext } from "../context.js";

const idParams = z.strictObject({ id: z.string().min(1).max(160) });
const JUSTIFICATION_REQUIRED = 'justification is required: send {"justification": "why"} (3 to 2000 characters)';
// A request without a body arrives as null: say what to send, not "expected object, received null".
const decisionBody = z.strictObject(
  { justification: z.string({ error: JUSTIFICATION_REQUIRED }).trim().min(3, { error: JUSTIFICATION_REQUIRED }).max(2000) },
  { error: JUSTIFICATION_REQUIRED },
);
const listQuery = z.strictObject({
  state: z.enum(["pending", "approved", "denied", "expired"]).optional(),
  requester: z.string().max(128).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});


/** The console shows arguments up to this size; larger ones are named as omitted. */
const MAX_SHOWN_ARGUMENT_BYTES = 64 * 1024;

export function approvalRoutes({ app, runtime }: ServerContext): void {
  const { engine, approvals, identities } = runtime;

  /**
   * The call a request would allow, for the people who decide it: the arguments of the decision that
   * opened it, from the erasable side table (never in the leaf), masked as notifications mask them.
   */
  const withCall = (request: ApprovalRequest): Record<string, unknown> => {
    const view = approvalView(request, runtime.now());
    const raw = runtime.ledger.reader.rawValuesOf(request.decisionId).find((row) => row.field === "args");
    if (!raw) return { ...view, call: { arguments_omitted: "no arguments were recorded, or they were erased" } };
    const masked = maskArguments({ args: JSON.parse(raw.value) as unknown }, MAX_SHOWN_ARGUMENT_BYTES);
    if (!masked) return view;
    return { ...view, call: "omitted" in masked ? { arguments_omitted: masked.omitted, masked_values: masked.masked } : { arguments: masked.arguments, masked_values: masked.masked } };
  };

  app.get("/v1/approvals", {
    schema: { querystring: listQuery, tags: ["approvals"], summary: "Approval requests, newest first" },
    onRequest: requireRole(identities, "approver", "auditor", "admin"),
    handler: (request) => {
      const { state, requester, limit } = request.query;
      // "pending" means still decidable: requests past expiry are listed as expired.
      const now = runtime.now();
      const found = approvals.list({ ...(state ? { state } : {}), ...(requester ? { requesterId: requester } : {}), limit, now });
      return { approvals: found.map(withCall) };
    },
  });

  app.get("/v1/approvals/:id", {
    schema: { params: idParams, tags: ["approvals"] },
    // An enforcement point holding a call open polls the request it waits on.
    onRequest: requireRole(identities, "approver", "auditor", "admin", "pep"),
    handler: (request) => {
      const found = approvals.get(request.params.id);
      if (!found) throw new ArbiterError("NOT_FOUND", `approval request ${request.params.id} does not exist`);
      // An enforcement point polling the request it holds needs its state, not the arguments it sent.
      return operatorOf(request).roles.some((role) => role !== "pep") ? withCall(found) : approvalView(found, runtime.now());
    },
  });

  app.post("/v1/approvals/:id/approve", {
    schema: { params: idParams, body: decisionBody, tags: ["approvals"], summary: "Approve: issues a JIT grant for exactly the requested call" },
    onRequest: requireRole(identities, "approver"),
    handler: async (request) => {
      const { request: approved, grant } = await engine.approvals.approve(request.params.id, operatorOf(request), request.body.justification);
      return {
        approval: approvalView(approved, runtime.now()),
        grant: { id: grant.id, subject: grant.subjectId, action: grant.action, resource: { type: grant.resourceType, id: grant.resourceId }, uses_remaining: grant.usesRemaining, expires_at: grant.expiresAt },
      };
    },
  });

  app.post("/v1/approvals/:id/deny", {
    schema: { params: idParams, body: decisionBody, tags: ["approvals"] },
    onRequest: requireRole(identities, "approver"),
    handler: async (request) => approvalView(await engine.approvals.deny(request.params.id, operatorOf(request), request.body.justification), runtime.now()),
  });
}
