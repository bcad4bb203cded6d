// Task API: completing a task revokes every credential issued for it, with one ledger record.
import { z } from "zod";
import type { FastifyRequest } from "fastify";
import { taskIdSchema, type Actor, type Identity, type IdentityDirectory } from "../../identity/index.js";
import { callerOf, operatorOf, requireRoleOr } from "../auth.js";
import type { ServerContext } from "../context.js";

const taskParams = z.strictObject({ id: taskIdSchema });
const completeBody = z.strictObject({ reason: z.string().min(1).max(1000).optional() }).default({});

/** The caller owns the task it names: the identity its first token was issued to. Odd ids own nothing. */
function ownsTask(identities: IdentityDirectory): (request: FastifyRequest, identity: Identity) => boolean {
  return (request, identity) => {
    const parsed = taskParams.safeParse(request.params);
    return parsed.success && identities.taskOwner(parsed.data.id) === identity.id;
  };
}

/** The operator as the actor of the completion, with the credential that authenticated it. */
function actorOf(request: FastifyRequest): Actor {
  const { id, type } = operatorOf(request);
  const { credential } = callerOf(request);
  return { id, type, determined_by: "credential", ...(credential !== undefined ? { credential } : {}) };
}

export function taskRoutes({ app, runtime }: ServerContext): void {
  const { identities } = runtime;

  app.post("/v1/tasks/:id/complete", {
    schema: {
      params: taskParams,
      body: completeBody,
      tags: ["credentials"],
      summary: "Complete a task: revoke every credential issued for it at once (admin, or the task's owner)",
    },
    onRequest: requireRoleOr(identities, ownsTask(identities), "admin"),
    handler: async (request) => identities.completeTask(request.params.id, actorOf(request), request.body.reason),
  });
}
