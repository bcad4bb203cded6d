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

/**
 * Operator credentials seen in the last second. An enforcement point sends the same credential with
 * every decision; checking it once a second instead of per request keeps within the one-second
 * propagation bound for revocations (docs/architecture.md) and takes a SQL read off the hot path.
 */
const OPERATOR_CACHE_MS = 1000;
const OPERATOR_CACHE_SIZE = 1024;

interface CachedOperator {
  identity: Identity;
  until: number;
}

const operators = new WeakMap<IdentityDirectory, Map<string, CachedOperator>>();

type OperatorCheck = { identity: Identity } | { refused: { reason: string; message: string } };

async function authenticateOperator(identities: IdentityDirectory, token: string): Promise<OperatorCheck> {
  let cache = operators.get(identities);
  if (!cache) operators.set(identities, (cache = new Map<string, CachedOperator>()));
  const now = Date.now();
  const hit = cache.get(token);
  if (hit && hit.until > now) return { identity: hit.identity };
  const result = await identities.authenticate(token);
  if (!result.ok) {
    cache.delete(token);
    return { refused: { reason: result.reason, message: result.message } };
  }
  if (cache.size >= OPERATOR_CACHE_SIZE) cache.clear();
  cache.set(token, { identity: result.auth.identity, until: now + OPERATOR_CACHE_MS });
  return { identity: result.auth.identity };
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
