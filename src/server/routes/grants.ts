// Grant API: the JIT grants approvals issued, and their revocation.
import { z } from "zod";
import { grantView, revokeGrant } from "../../decide/index.js";
import { ArbiterError } from "../../record/index.js";
import { operatorOf, requireRole } from "../auth.js";
import type { ServerContext } from "../context.js";

const idParams = z.strictObject({ id: z.string().min(1).max(160) });
const listQuery = z.strictObject({
  subject: z.string().max(128).optional(),
  state: z.enum(["issued", "used", "expired", "revoked"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});


export function grantRoutes({ app, runtime }: ServerContext): void {
  const { grants, identities, ledger } = runtime;

  app.get("/v1/grants", {
    schema: { querystring: listQuery, tags: ["grants"] },
    onRequest: requireRole(identities, "approver", "auditor", "admin"),
    handler: (request) => {
      const { subject, state, limit } = request.query;
      return { grants: grants.list({ ...(subject ? { subjectId: subject } : {}), ...(state ? { state } : {}), limit, now: runtime.now() }).map((g) => grantView(g, runtime.now())) };
    },
  });

  app.get("/v1/grants/:id", {
    schema: { params: idParams, tags: ["grants"] },
    onRequest: requireRole(identities, "approver", "auditor", "admin"),
    handler: (request) => {
      const grant = grants.get(request.params.id);
      if (!grant) throw new ArbiterError("NOT_FOUND", `grant ${request.params.id} does not exist`);
      return grantView(grant, runtime.now());
    },
  });

  app.post("/v1/grants/:id/revoke", {
    schema: { params: idParams, tags: ["grants"], summary: "Revoke a grant before it is used up or expires" },
    onRequest: requireRole(identities, "approver", "admin"),
    handler: async (request) => grantView(await revokeGrant({ grants, ledger }, request.params.id, operatorOf(request).id), runtime.now()),
  });
}
