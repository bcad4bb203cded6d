// Path templates (`GET /customers/:id`, `GET /files/*rest`) compiled once and matched against canonical paths.
import { ArbiterError } from "../../record/index.js";
import type { RouteSpec } from "./routes-file.js";

type Segment = { kind: "static"; value: string } | { kind: "param"; name: string } | { kind: "rest"; name: string };

export interface CompiledRoute {
  spec: RouteSpec;
  /** Position in the file: the last tie-breaker, and how records name the route. */
  index: number;
  method: string;
  host: string | undefined;
  segments: Segment[];
  /** Trailing slash in the template: `/a/` and `/a` are different paths. */
  trailingSlash: boolean;
  /** What the route matches, for spotting duplicates: method, host and the template with names erased. */
  shape: string;
}

export interface RouteMatch {
  route: CompiledRoute;
  params: Record<string, string>;
}

const METHOD = /^(?:\*|[A-Z]{1,16})$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const PLACEHOLDER = /\{([^{}]*)\}/g;

export function compileRoute(spec: RouteSpec, index: number, where: string): CompiledRoute {
  const [method, template, ...extra] = spec.match.trim().split(/\s+/);
  if (method === undefined || template === undefined || extra.length > 0 || !METHOD.test(method)) {
    throw new ArbiterError("USAGE", `${where}: match must be "METHOD /path" (METHOD in capitals, or *), not ${JSON.stringify(spec.match)}`);
  }
  if (!template.startsWith("/")) throw new ArbiterError("USAGE", `${where}: the path ${JSON.stringify(template)} must start with /`);
  const parts = template.slice(1).split("/");
  const trailingSlash = parts.length > 1 && parts[parts.length - 1] === "";
  if (trailingSlash || parts[0] === "") parts.pop();
  const segments: Segment[] = [];
  const names = new Set<string>();
  parts.forEach((part, i) => {
    const dynamic = part.startsWith(":") || part.startsWith("*");
    if (dynamic) {
      const name = part.slice(1);
      if (!NAME.test(name)) throw new ArbiterError("USAGE", `${where}: ${JSON.stringify(part)} needs a name of letters, digits and _`);
      if (names.has(name)) throw new ArbiterError("USAGE", `${where}: the parameter ${name} appears twice`);
      names.add(name);
      if (part.startsWith("*") && i !== parts.length - 1) throw new ArbiterError("USAGE", `${where}: ${part} must be the last segment`);
      segments.push(part.startsWith("*") ? { kind: "rest", name } : { kind: "param", name });
      return;
    }
    if (part === "" || part === "." || part === ".." || /[%\\;?#]/.test(part)) {
      throw new ArbiterError("USAGE", `${where}: ${JSON.stringify(part)} is not a path segment routes may name (write paths decoded, without //, dot segments, %, \\, ; ? or #)`);
    }
    segments.push({ kind: "static", value: part });
  });
  for (const [, placeholder] of spec.resource.id.matchAll(PLACEHOLDER)) {
    if (placeholder === undefined || !names.has(placeholder)) throw new ArbiterError("USAGE", `${where}: resource.id names {${placeholder ?? ""}}, which is not a parameter of ${template}`);
  }
  for (const [attribute, value] of Object.entries(spec.resource.attributes ?? {})) {
    if (typeof value === "object" && "param" in value && !names.has(value.param)) {
      throw new ArbiterError("USAGE", `${where}: resource.attributes.${attribute} names the parameter ${value.param}, which ${template} does not have`);
    }
  }
  const shape = `${method} ${spec.host ?? "*"} /${segments.map((s) => (s.kind === "static" ? s.value : s.kind === "param" ? ":" : "*")).join("/")}${trailingSlash ? "/" : ""}`;
  return { spec, index, method, host: spec.host, segments, trailingSlash, shape };
}

function matchSegments(route: CompiledRoute, segments: readonly string[]): Record<string, string> | undefined {
  const trailing = segments.length > 0 && segments[segments.length - 1] === "";
  const path = trailing ? segments.slice(0, -1) : segments;
  const params: Record<string, string> = {};
  for (let i = 0; i < route.segments.length; i++) {
    const seg = route.segments[i] as Segment;
    if (seg.kind === "rest") {
      params[seg.name] = segments.slice(i).join("/");
      return params;
    }
    const value = path[i];
    if (value === undefined) return undefined;
    if (seg.kind === "static" ? value !== seg.value : value === "") return undefined;
    if (seg.kind === "param") params[seg.name] = value;
  }
  return path.length === route.segments.length && trailing === route.trailingSlash ? params : undefined;
}

/** Static segments outrank parameters, which outrank a trailing wildcard; then a named host, a named method, file order. */
function outranks(a: CompiledRoute, b: CompiledRoute): boolean {
  const rank = (s: Segment | undefined): number => (s === undefined ? 0 : s.kind === "static" ? 3 : s.kind === "param" ? 2 : 1);
  for (let i = 0; i < Math.max(a.segments.length, b.segments.length); i++) {
    const ra = rank(a.segments[i]);
    const rb = rank(b.segments[i]);
    if (ra !== rb) return ra > rb;
  }
  if ((a.host !== undefined) !== (b.host !== undefined)) return a.host !== undefined;
  if ((a.method !== "*") !== (b.method !== "*")) return a.method !== "*";
  return a.index < b.index;
}

/** The best route for a request, or undefined. `host` is lowercased, without a default port. */
export function matchRoute(routes: readonly CompiledRoute[], method: string, host: string, segments: readonly string[]): RouteMatch | undefined {
  let best: RouteMatch | undefined;
  for (const route of routes) {
    if (route.method !== "*" && route.method !== method) continue;
    if (route.host !== undefined && route.host !== host) continue;
    const params = matchSegments(route, segments);
    if (params !== undefined && (best === undefined || outranks(route, best.route))) best = { route, params };
  }
  return best;
}

/** `customers/{id}` with the path parameters filled in. */
export function fillTemplate(template: string, params: Readonly<Record<string, string>>): string {
  return template.replace(PLACEHOLDER, (_, name: string) => params[name] ?? "");
}
