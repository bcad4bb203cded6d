// Operators authenticate with bearer credentials of their identity; each route names the roles it admits.
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from "fastify";
import { bearerCredential, type Identity, type IdentityDirectory } from "../identity/index.js";
import type { Caller } from "../record/index.js";
import { problem, sendProblem, type Problem } from "./problem.js";
import { leaveBodyUnread } from "./unread-body.js";

export type OperatorRole = "admin" | "approver" | "auditor" | "pep";

declare module "fastify" {
  interface FastifyRequest {
    operator?: Identity;
    /** The operator as records name it: who asked, by which credential. */
    caller?: Caller;
  }
}

/** A refusal answered before the body was read: the body stays unread (see leaveBodyUnread). */
function refuse(request: FastifyRequest, reply: FastifyReply, body: Problem): FastifyReply {
  leaveBodyUnread(request, reply);
  return sendProblem(reply, body);
}

function bearer(request: FastifyRequest): string | undefined {
  return bearerCredential(request.headers.authorization);
}

/**
 * An onRequest hook (it runs before the body is read) that admits an active identity holding one of `roles`. Credentials are remembered by the
 * directory until identity state changes in any process (see CredentialCache), so a revocation
 * takes effect on the next request. An authenticated caller without the role is refused (403) and
 * the refusal is recorded; an unauthenticated one is not, so that nobody without a credential can
 * write to the ledger.
 */
export function requireRole(identities: IdentityDirectory, ...roles: OperatorRole[]): onRequestAsyncHookHandler {
  return requireRoleOr(identities, () => false, ...roles);
}

/**
 * requireRole that also admits an authenticated caller without the role when `admits` says the
 * operation concerns it (its own task): everyone else is refused and recorded as requireRole does.
 */
export function requireRoleOr(identities: IdentityDirectory, admits: (request: FastifyRequest, identity: Identity) => boolean, ...roles: OperatorRole[]): onRequestAsyncHookHandler {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const token = bearer(request);
    if (!token) {
      await refuse(request, reply, problem("UNAUTHENTICATED", "send an operator credential as `Authorization: Bearer <api key or token>`"));
      return;
    }
    const result = await identities.authenticateOperator(token);
    if (!result.ok) {
      await refuse(request, reply, problem("UNAUTHENTICATED", `the operator credential was refused: ${result.message}`, { reason_code: result.reason }));
      return;
    }
    const { identity, credential } = result.auth;
    if (!roles.some((role) => identity.roles.includes(role)) && !admits(request, identity)) {
      const operation = `${request.method} ${request.routeOptions.url ?? request.url.split("?")[0] ?? ""}`;
      try {
        await identities.recordRoleRefusal(result.auth, operation, roles);
      } catch (err) {
        // Refusing is safe without a record; say so in the log, never let it turn into an answer other than 403.
        request.log.error({ err, code: "LEDGER_UNAVAILABLE" }, "role refusal not recorded");
      }
      await refuse(request, reply, problem("FORBIDDEN", `${identity.id} needs the role ${roles.join(" or ")} for ${operation}`, { reason_code: "ROLE_REQUIRED" }));
      return;
    }
    request.operator = identity;
    request.caller = { id: identity.id, type: identity.type, determined_by: "credential", credential: { id: credential.id, kind: credential.kind } };
  };
}

export function operatorOf(request: FastifyRequest): Identity {
  if (!request.operator) throw new Error("route registered without requireRole");
  return request.operator;
}

export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new Error("route registered without requireRole");
  return request.caller;
}
