// Who the bearer credential belongs to and which roles it holds: the console shows only what those roles may do.
import { operatorOf, requireRole } from "../auth.js";
import type { ServerContext } from "../context.js";

export function sessionRoutes({ app, runtime }: ServerContext): void {
  app.get("/v1/session", {
    schema: { tags: ["session"], summary: "The operator this credential authenticates, with its roles (a PEP credential is refused)" },
    onRequest: requireRole(runtime.identities, "admin", "approver", "auditor"),
    handler: (request) => {
      const { id, type, roles, status } = operatorOf(request);
      return { id, type, status, roles: roles.filter((role) => role === "admin" || role === "approver" || role === "auditor") };
    },
  });
}
