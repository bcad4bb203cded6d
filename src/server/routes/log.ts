// Ledger API: checkpoints, proofs and the verifier key are public by design; entries need the auditor role.
import { z } from "zod";
import { ArbiterError } from "../../record/index.js";
import { requireRole } from "../auth.js";
import type { ServerContext } from "../context.js";

const indexParams = z.strictObject({ index: z.coerce.number().int().min(0) });
const consistencyQuery = z.strictObject({ old: z.coerce.number().int().min(1) });

export function logRoutes({ app, runtime }: ServerContext): void {
  const { ledger, identities } = runtime;

  app.get("/v1/log/checkpoint", {
    schema: { tags: ["log"], summary: "The latest signed checkpoint (C2SP signed note)" },
    handler: (_request, reply) => reply.type("text/plain; charset=utf-8").send(ledger.checkpoint().note),
  });

  app.get("/v1/log/vkey", {
    schema: { tags: ["log"], summary: "The verifier key (C2SP name+keyid+base64)" },
    handler: (_request, reply) => reply.type("text/plain; charset=utf-8").send(`${ledger.vkey}\n`),
  });

  app.get("/v1/log/proof/:index", {
    schema: { params: indexParams, tags: ["log"], summary: "c2sp.org/tlog-proof@v1 inclusion proof of an entry" },
    handler: (request, reply) => reply.type("text/plain; charset=utf-8").send(ledger.proveInclusion(request.params.index)),
  });

  app.get("/v1/log/consistency", {
    schema: { querystring: consistencyQuery, tags: ["log"], summary: "Consistency proof from an older tree size to the latest checkpoint" },
    handler: (request, reply) => reply.type("text/plain; charset=utf-8").send(ledger.proveConsistency(request.query.old)),
  });

  app.get("/v1/log/entries/:index", {
    schema: { params: indexParams, tags: ["log"], summary: "The exact leaf bytes of an entry" },
    onRequest: requireRole(identities, "auditor", "admin"),
    handler: (request, reply) => {
      if (request.params.index >= ledger.size()) throw new ArbiterError("INDEX_OUT_OF_RANGE", `entry ${request.params.index} does not exist`);
      return reply.type("application/json").send(ledger.entry(request.params.index));
    },
  });
}
