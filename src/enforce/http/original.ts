// The original request behind a forward-auth check, from whichever headers the proxy sets.
//
// nginx (with the shipped snippet), Caddy `forward_auth` and Traefik ForwardAuth send
// X-Forwarded-Method / -Uri / -Host, overwriting any copy the client sent; nginx configurations
// often send X-Original-URI / -Method instead. Envoy's HTTP ext_authz sends the original method and
// the original path after a prefix (`path_prefix: /v1/forward-auth`). A proxy passes every other
// client header through, so a client can add whichever of these its proxy does not set: every
// source present must name the same request, or the check is refused. A forged header can then
// only cause a refusal, never change what is decided.
import type { HeaderView } from "./headers.js";

export interface OriginalRequest {
  method: string;
  /** The request-target as the client sent it (path and query, not decoded). */
  target: string;
  /** Lowercased, without the port. */
  host: string;
  /** `https` or `http` when the proxy said. */
  scheme?: string;
}

export type OriginalResult = { ok: true; original: OriginalRequest } | { ok: false; problem: string; method?: string; target?: string };

const METHOD = /^[A-Z]{1,16}$/;
const HOST = /^(?:[a-z0-9.-]{1,253}|\[[0-9a-f:.]{2,45}\])(?::\d{1,5})?$/;

/** The one value every present source agrees on; undefined when none is present. */
function agreed(sources: readonly (readonly [string, readonly string[]])[], what: string): { value?: string; problem?: string } {
  let value: string | undefined;
  let from = "";
  for (const [name, values] of sources) {
    if (values.length > 1) return { problem: `more than one ${name} header` };
    const v = values[0];
    if (v === undefined) continue;
    if (value !== undefined && v !== value) return { problem: `${from} and ${name} name different ${what}s (${JSON.stringify(value.slice(0, 128))} and ${JSON.stringify(v.slice(0, 128))})` };
    value = v;
    from = name;
  }
  return value === undefined ? {} : { value };
}

/**
 * `ownMethod` and `suffix` describe the check request itself: in the path form (`/v1/forward-auth/<original target>`)
 * they are a source; in the header form `suffix` is undefined.
 */
export function originalRequest(headers: HeaderView, ownMethod: string, suffix: string | undefined, ownHost: string | undefined): OriginalResult {
  const pathForm = suffix !== undefined;
  const method = agreed(
    [["X-Forwarded-Method", headers.all("x-forwarded-method")], ["X-Original-Method", headers.all("x-original-method")], ...(pathForm ? [["the check's method", [ownMethod]] as const] : [])],
    "method",
  );
  const target = agreed(
    [["X-Forwarded-Uri", headers.all("x-forwarded-uri")], ["X-Original-URI", headers.all("x-original-uri")], ...(pathForm ? [["the check's path", [suffix]] as const] : [])],
    "request-target",
  );
  const host = agreed([["X-Forwarded-Host", headers.all("x-forwarded-host")], ...(pathForm && ownHost !== undefined ? [["Host", [ownHost]] as const] : [])], "host");
  const seen = { ...(method.value ? { method: method.value } : {}), ...(target.value ? { target: target.value } : {}) };
  const problem = method.problem ?? target.problem ?? host.problem;
  if (problem) return { ok: false, problem, ...seen };
  if (method.value === undefined) return { ok: false, problem: "the proxy sent no original method (X-Forwarded-Method)", ...seen };
  if (target.value === undefined) return { ok: false, problem: "the proxy sent no original request-target (X-Forwarded-Uri)", ...seen };
  if (host.value === undefined) return { ok: false, problem: "the proxy sent no original host (X-Forwarded-Host)", ...seen };
  if (!METHOD.test(method.value)) return { ok: false, problem: `the original method ${JSON.stringify(method.value.slice(0, 32))} is not an HTTP method`, ...seen };
  const lower = host.value.toLowerCase();
  if (!HOST.test(lower)) return { ok: false, problem: `the original host ${JSON.stringify(host.value.slice(0, 128))} is not a host name`, ...seen };
  const scheme = headers.all("x-forwarded-proto");
  return {
    ok: true,
    original: {
      method: method.value,
      target: target.value,
      host: lower.replace(/:\d+$/, ""),
      ...(scheme.length === 1 && (scheme[0] === "http" || scheme[0] === "https") ? { scheme: scheme[0] } : {}),
    },
  };
}
