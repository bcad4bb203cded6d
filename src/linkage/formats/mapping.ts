// Field mappings for JSON lines of any shape (YAML), and the built-in one for access logs behind an enforcement point.
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ArbiterError } from "../../record/index.js";
import { parsePath, textOf, valueAt } from "../json-path.js";

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const oneSpec = z.union([
  z.string().min(1),
  z.strictObject({
    path: z.string().min(1).optional(),
    /** `{method} {path}`: each `{…}` is a path; the field is absent when one of them is. */
    template: z.string().min(1).optional(),
    const: scalar.optional(),
    /** Translates the value found (as text), e.g. `{ ok: executed, refused: deny }`. */
    values: z.record(z.string(), z.string()).optional(),
  }).refine((s) => [s.path, s.template, s.const].filter((v) => v !== undefined).length === 1, { error: "give exactly one of path, template or const" }),
]);
/** A list means: the first alternative that is present. */
const fieldSpec = z.union([oneSpec, z.array(oneSpec).min(1)]);

export const mappingSchema = z.strictObject({
  /** The system the events are attributed to in reports and records. */
  system: z.string().regex(/^[\x21-\x7e]{1,64}$/).optional(),
  fields: z.strictObject({
    time: fieldSpec,
    subject: fieldSpec,
    action: fieldSpec,
    resource: fieldSpec,
    subject_type: fieldSpec.optional(),
    credential: fieldSpec.optional(),
    resource_type: fieldSpec.optional(),
    outcome: fieldSpec.optional(),
    decision_id: fieldSpec.optional(),
    traceparent: fieldSpec.optional(),
    trace_id: fieldSpec.optional(),
    span_id: fieldSpec.optional(),
    event_id: fieldSpec.optional(),
    args: fieldSpec.optional(),
    args_digest: fieldSpec.optional(),
    grant_id: fieldSpec.optional(),
  }),
});
export type Mapping = z.infer<typeof mappingSchema>;
export type MappedField = keyof Mapping["fields"];

/** How the access log of a service behind an enforcement point is read when no mapping is given. */
export const ACCESS_LOG_MAPPING: Mapping = {
  system: "access-log",
  fields: {
    time: ["time", "timestamp", "ts", "@timestamp", "start_time"],
    subject: ["subject.id", "subject", "user.id", "user", "principal", "remote_user", "client_id"],
    subject_type: ["subject.type", "subject_type"],
    credential: ["credential_id", "key_id", "credential.id", "jti"],
    action: ["action", { template: "{method} {path}" }, { template: "{request.method} {request.path}" }],
    resource: ["resource.id", "resource", "path", "request.path", "uri", "url"],
    resource_type: ["resource.type", "resource_type"],
    outcome: ["outcome", "status", "status_code", "response.status"],
    decision_id: ["decision_id", "x-arbiter-decision-id", 'headers["x-arbiter-decision-id"]', 'request.headers["x-arbiter-decision-id"]', 'request_headers["x-arbiter-decision-id"]'],
    traceparent: ["traceparent", "headers.traceparent", "request.headers.traceparent", "request_headers.traceparent"],
    trace_id: ["trace_id", "trace.id", "traceId"],
    event_id: ["id", "event_id", "request_id", "x-request-id"],
    args: ["args", "arguments"],
    args_digest: ["args_digest"],
    grant_id: ["grant_id"],
  },
};

export function parseMapping(text: string, name: string): Mapping {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ArbiterError("USAGE", `${name} is not YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = mappingSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArbiterError("USAGE", `${name}: ${issue?.path.join(".") || "mapping"}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

type Getter = (value: unknown) => unknown;

function compileOne(spec: z.infer<typeof oneSpec>): Getter {
  if (typeof spec === "string") {
    const path = parsePath(spec);
    return (v) => valueAt(v, path);
  }
  const translate = spec.values;
  let get: Getter;
  if (spec.const !== undefined) {
    const constant = spec.const;
    get = () => constant;
  } else if (spec.template !== undefined) {
    const parts = spec.template.split(/(\{[^}]+\})/).map((part) => (part.startsWith("{") ? parsePath(part.slice(1, -1)) : part));
    get = (v) => {
      let out = "";
      for (const part of parts) {
        if (typeof part === "string") out += part;
        else {
          const text = textOf(valueAt(v, part));
          if (text === undefined) return undefined;
          out += text;
        }
      }
      return out;
    };
  } else {
    const path = parsePath(spec.path as string);
    get = (v) => valueAt(v, path);
  }
  if (translate === undefined) return get;
  return (v) => {
    const found = get(v);
    const text = textOf(found);
    return text !== undefined && Object.hasOwn(translate, text) ? translate[text] : found;
  };
}

/** Each mapped field as a function of one event; a list tries its alternatives in order. */
export function compileMapping(mapping: Mapping): Partial<Record<MappedField, Getter>> {
  const out: Partial<Record<MappedField, Getter>> = {};
  for (const [field, spec] of Object.entries(mapping.fields) as [MappedField, z.infer<typeof fieldSpec> | undefined][]) {
    if (spec === undefined) continue;
    const getters = (Array.isArray(spec) ? spec : [spec]).map(compileOne);
    out[field] = getters.length === 1 ? getters[0] : (v) => {
      for (const get of getters) {
        const found = get(v);
        if (found !== undefined && found !== null && found !== "") return found;
      }
      return undefined;
    };
  }
  return out;
}
