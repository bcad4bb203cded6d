// How a matched HTTP request becomes a decision request: action, resource with attributes, and args (see docs/http.md).
import type { DecisionRequest } from "../../decide/index.js";
import type { JsonObject, JsonValue } from "../../record/index.js";
import type { HeaderView } from "./headers.js";
import type { OriginalRequest } from "./original.js";
import { fillTemplate, type RouteMatch } from "./route-match.js";
import type { UnmatchedSpec, ValueSpec } from "./routes-file.js";
import type { Target } from "./target.js";

export interface MappingInput {
  match: RouteMatch | undefined;
  unmatched: UnmatchedSpec | undefined;
  original: OriginalRequest;
  target: Target;
  headers: HeaderView;
  body: Buffer | undefined;
}

type At = Pick<DecisionRequest, "action" | "resource">;

export type Mapped =
  | { ok: true; request: Pick<DecisionRequest, "action" | "resource" | "args">; at: At; http: { route?: string } }
  | { ok: false; problem: string; at: At; http: { route?: string } };

/** Largest JSON body read for args (bigger bodies are refused for routes that need them). */
export const MAX_ARGS_BODY_BYTES = 1024 * 1024;

function one(values: readonly string[], what: string): { value?: string; problem?: string } {
  if (values.length > 1) return { problem: `${what} appears more than once` };
  return values[0] === undefined ? {} : { value: values[0] };
}

function valueOf(spec: ValueSpec, params: Readonly<Record<string, string>>, input: MappingInput): { value?: JsonValue; problem?: string } {
  if (typeof spec !== "object") return { value: spec };
  if ("param" in spec) return { value: params[spec.param] ?? "" };
  if ("query" in spec) return one(input.target.query.getAll(spec.query), `the query parameter ${JSON.stringify(spec.query)}`);
  return one(input.headers.all(spec.header), `the ${spec.header} header`);
}

function bodyOf(input: MappingInput, route: string): { value?: Record<string, unknown>; problem?: string } {
  if (input.body === undefined) return { problem: `route ${route} takes args from the request body, which this enforcement point does not receive (use Arbiter's reverse proxy or Envoy's with_request_body)` };
  if (input.body.length > MAX_ARGS_BODY_BYTES) return { problem: `the request body is larger than ${MAX_ARGS_BODY_BYTES} bytes` };
  const type = input.headers.all("content-type");
  if (type.length !== 1 || !/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type[0] ?? "")) return { problem: `route ${route} takes args from a JSON body, and the request's Content-Type is not JSON` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(input.body.toString("utf8"));
  } catch {
    return { problem: "the request body is not valid JSON" };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { problem: "the request body is not a JSON object" };
  return { value: parsed as Record<string, unknown> };
}

export function requestOf(input: MappingInput): Mapped {
  const { original, target } = input;
  if (!input.match) {
    const u = input.unmatched as UnmatchedSpec;
    const resource = { type: u.resource_type, id: `${original.host}${target.path}`, attributes: { method: original.method, host: original.host, path: target.path, ...(u.sensitivity ? { sensitivity: u.sensitivity } : {}) } };
    const at = { action: u.action, resource: { type: resource.type, id: resource.id } };
    return { ok: true, request: { action: u.action, resource }, at, http: { route: `unmatched ${u.prefix}` } };
  }
  const { route, params } = input.match;
  const spec = route.spec;
  const http = { route: spec.match };
  const id = fillTemplate(spec.resource.id, params);
  const at = { action: spec.action, resource: { type: spec.resource.type, id: id === "" ? `${original.host}${target.path}` : id } };
  if (id === "") return { ok: false, problem: `route ${spec.match} gives an empty resource id for ${target.path}`, at, http };
  const attributes: JsonObject = {};
  for (const [name, valueSpec] of Object.entries(spec.resource.attributes ?? {})) {
    const found = valueOf(valueSpec, params, input);
    if (found.problem) return { ok: false, problem: found.problem, at, http };
    if (found.value !== undefined) attributes[name] = found.value;
  }
  if (spec.sensitivity) attributes.sensitivity = spec.sensitivity;
  const args: JsonObject = {};
  if (Object.keys(params).length > 0) args.params = { ...params };
  if (spec.args?.query) {
    const query: JsonObject = {};
    for (const name of spec.args.query) {
      const found = one(target.query.getAll(name), `the query parameter ${JSON.stringify(name)}`);
      if (found.problem) return { ok: false, problem: found.problem, at, http };
      if (found.value !== undefined) query[name] = found.value;
    }
    args.query = query;
  }
  if (spec.args?.body) {
    const body = bodyOf(input, spec.match);
    if (!body.value) return { ok: false, problem: body.problem ?? "the request body cannot be read", at, http };
    const picked: JsonObject = {};
    for (const name of spec.args.body) if (Object.hasOwn(body.value, name)) picked[name] = body.value[name] as JsonValue;
    args.body = picked;
  }
  return {
    ok: true,
    request: { action: spec.action, resource: { ...at.resource, ...(Object.keys(attributes).length ? { attributes } : {}) }, ...(Object.keys(args).length ? { args } : {}) },
    at,
    http,
  };
}
