// Operators authenticate with bearer credentials of their identity; each route names the roles it admits.
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from "fastify";
import type { Identity, IdentityDirectory } from "../identity/index.js";
import { problem, sendProblem } from "./problem.js";

export type OperatorRole = "admin" | "approver" | "auditor" | "pep";

declare module "fastify" {
  interface FastifyRequest {
    operator?: Identity;
  }
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

type OperatorCheck = { identity: Identity } | { refused: { reason: string; message: string } };

/** The directory remembers a credential until identity state changes (in any process): see CredentialCache. */
async function authenticateOperator(identities: IdentityDirectory, token: string): Promise<OperatorCheck> {
  const result = await identities.authenticateOperator(token);
  return result.ok ? { identity: result.auth.identity } : { refused: { reason: result.reason, message: result.message } };
}

/** A preHandler that admits an active identity holding one of `roles`. */
export function requireRole(identities: IdentityDirectory, ...roles: OperatorRole[]): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const token = bearer(request);
    if (!token) {
      await sendProblem(reply, problem("UNAUTHENTICATED", "send an operator credential as `Authorization: Bearer <api key or token>`"));
      return;
    }
    const check = await authenticateOperator(identities, token);
    if ("refused" in check) {
      await sendProblem(reply, problem("UNAUTHENTICATED", `the operator credential was refused: ${check.refused.message}`, { reason_code: check.refused.reason }));
      return;
    }
    const identity = check.identity;
    if (!roles.some((role) => identity.roles.includes(role))) {
      await sendProblem(reply, problem("FORBIDDEN", `${identity.id} needs one of the roles ${roles.join(", ")} for ${request.method} ${request.routeOptions.url ?? request.url}`));
      return;
    }
    request.operator = identity;
  };
}

export function operatorOf(request: FastifyRequest): Identity {
  if (!request.operator) throw new Error("route registered without requireRole");
  return request.operator;
}
