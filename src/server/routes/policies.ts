// Policy API: the active policy set, its rules and versions.
import { z } from "zod";
import { ArbiterError } from "../../record/index.js";
import { requireRole } from "../auth.js";
import type { ServerContext } from "../context.js";

const versionQuery = z.strictObject({ version: z.string().min(1).max(128).optional() });

export function policyRoutes({ app, runtime }: ServerContext): void {
  const { policies, identities } = runtime;
  const reader = requireRole(identities, "admin", "auditor", "approver");

  app.get("/v1/policies", {
    schema: { querystring: versionQuery, tags: ["policies"], summary: "A policy set version (default: the active one) and its rules" },
    onRequest: reader,
    handler: (request) => {
      const version = request.query.version ?? policies.activeVersion();
      const set = version ? policies.get(version) : undefined;
      if (!set) throw new ArbiterError(version ? "NOT_FOUND" : "NO_ACTIVE_POLICY", version ? `no policy set version ${version}` : "no policy set is active");
      return {
        version: set.version,
        active: set.version === policies.activeVersion(),
        rules: set.rules.map((r) => ({ id: r.id, effect: r.effect, reason: r.reason, control: r.control, note: r.note, frameworks: r.frameworks, file: r.file, text: r.text })),
        limits: set.limits,
      };
    },
  });

  app.get("/v1/policies/versions", {
    schema: { tags: ["policies"], summary: "Every activation, newest first" },
    onRequest: reader,
    handler: () => ({ active: policies.activeVersion(), versions: policies.versions() }),
  });
}
