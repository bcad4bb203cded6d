// Linkage API: run a linkage over events sent inline, read runs, their findings and events, reports and trace stories.
import { z } from "zod";
import { checkPrincipalMap, LINK_FORMATS, mappingSchema, parseMapping, parsePrincipalMap, type Mapping, type PrincipalMap } from "../../linkage/index.js";
import { ArbiterError } from "../../record/index.js";
import { callerOf, requireRole } from "../auth.js";
import type { ServerContext } from "../context.js";

const runBody = z.strictObject({
  format: z.enum(LINK_FORMATS),
  /** The events: a JSON array of them, or the text of the log (JSON lines, or a JSON document such as a CloudTrail file). */
  events: z.union([z.array(z.unknown()).min(1).max(100_000), z.string().min(1)]),
  /** A name for the source, shown in reports and records. */
  source: z.string().regex(/^[\x21-\x7e][\x20-\x7e]{0,255}$/).default("inline"),
  /** For format jsonl: the mapping as YAML text or as an object. */
  mapping: z.union([z.string().max(65_536), z.record(z.string(), z.unknown())]).optional(),
  /** Source principals → Arbiter identities, as YAML or JSON text or as an object (`arbiter link --principal-map`). */
  principal_map: z.union([z.string().max(1_048_576), z.record(z.string(), z.unknown())]).optional(),
  window_seconds: z.number().positive().max(86_400).optional(),
  skew_seconds: z.number().min(0).max(3600).optional(),
});

const idParams = z.strictObject({ id: z.string().min(1).max(160) });
const traceParams = z.strictObject({ trace_id: z.string().regex(/^[0-9a-fA-F]{32}$/) });
const listQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50), before: z.string().max(64).optional() });
const pageQuery = z.strictObject({
  events_after: z.coerce.number().int().min(0).default(0),
  events_limit: z.coerce.number().int().min(0).max(1000).default(100),
  findings_after: z.coerce.number().int().min(0).default(0),
  findings_limit: z.coerce.number().int().min(0).max(1000).default(100),
});

function mappingOf(given: string | Record<string, unknown> | undefined): Mapping | undefined {
  if (given === undefined) return undefined;
  if (typeof given === "string") return parseMapping(given, "mapping");
  const parsed = mappingSchema.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArbiterError("REQUEST_INVALID", `mapping.${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

function principalMapOf(given: string | Record<string, unknown> | undefined): PrincipalMap | undefined {
  if (given === undefined) return undefined;
  try {
    return typeof given === "string" ? parsePrincipalMap(given, "principal_map") : checkPrincipalMap(given, "principal_map", "REQUEST_INVALID");
  } catch (err) {
    throw err instanceof ArbiterError && err.code === "USAGE" ? new ArbiterError("REQUEST_INVALID", err.message) : err;
  }
}

/** Inline events are for the console and CI; bulk logs go through `arbiter link`, which streams files. */
export interface LinkageRouteOptions {
  bodyLimit: number;
}

export function linkageRoutes({ app, runtime }: ServerContext, options: LinkageRouteOptions): void {
  const { identities } = runtime;
  const { linkage } = runtime;

  app.post("/v1/linkage/runs", {
    bodyLimit: options.bodyLimit,
    schema: { body: runBody, tags: ["linkage"], summary: "Link events to the decisions that explain them; links and findings are appended to the ledger" },
    onRequest: requireRole(identities, "auditor", "admin"),
    handler: async (request, reply) => {
      const body = request.body;
      const mapping = mappingOf(body.mapping);
      const principals = principalMapOf(body.principal_map);
      const input = typeof body.events === "string" ? { text: body.events, name: body.source } : { values: body.events, name: body.source };
      const summary = await linkage.run(input, {
        format: body.format,
        ...(mapping ? { mapping } : {}),
        ...(principals ? { principals } : {}),
        ...(body.window_seconds !== undefined ? { windowSeconds: body.window_seconds } : {}),
        ...(body.skew_seconds !== undefined ? { skewSeconds: body.skew_seconds } : {}),
        actor: callerOf(request),
      });
      return reply.status(201).header("location", `/v1/linkage/runs/${summary.run_id}`).send({ run_id: summary.run_id, summary });
    },
  });

  app.get("/v1/linkage/runs", {
    schema: { querystring: listQuery, tags: ["linkage"], summary: "Linkage runs, newest first" },
    onRequest: requireRole(identities, "auditor", "admin"),
    handler: (request) => {
      const runs = linkage.runs(request.query.limit, request.query.before);
      const last = runs.at(-1);
      return { runs, next_before: runs.length === request.query.limit && last ? last.started_at : null };
    },
  });

  app.get("/v1/linkage/runs/:id", {
    schema: { params: idParams, querystring: pageQuery, tags: ["linkage"], summary: "One run: summary, a page of findings and a page of events (with their decisions and keys)" },
    onRequest: requireRole(identities, "auditor", "admin"),
    handler: (request) => {
      const { id } = request.params;
      const q = request.query;
      const run = linkage.get(id);
      const findings = q.findings_limit ? linkage.findings(id, q.findings_after, q.findings_limit) : [];
      const events = q.events_limit ? linkage.events(id, q.events_after, q.events_limit) : [];
      return {
        run,
        findings,
        next_findings_after: findings.length === q.findings_limit ? (findings.at(-1)?.seq ?? null) : null,
        events,
        next_events_after: events.length === q.events_limit ? (events.at(-1)?.seq ?? null) : null,
        skipped: run.status === "done" ? linkage.report(id).skipped : [],
      };
    },
  });

  app.get("/v1/linkage/runs/:id/report.html", {
    schema: { params: idParams, tags: ["linkage"], summary: "The run's self-contained HTML report" },
    onRequest: requireRole(identities, "auditor", "admin"),
    handler: (request, reply) => reply.type("text/html; charset=utf-8").header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'").send(linkage.reportHtml(request.params.id)),
  });

  app.get("/v1/linkage/traces/:trace_id", {
    schema: { params: traceParams, tags: ["linkage"], summary: "One request as one story: every engine's decisions, enforcement, outside events and findings under a trace id" },
    onRequest: requireRole(identities, "auditor", "admin"),
    handler: (request) => {
      const traceId = request.params.trace_id.toLowerCase();
      return { trace_id: traceId, steps: linkage.trace(traceId) };
    },
  });
}
