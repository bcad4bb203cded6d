// What the server's log may hold: a request's method and path, never its query string, headers or credentials.
import type { FastifyRequest } from "fastify";
import { findValues, markerOf } from "../record/index.js";

/** Where log lines go: stdout by default, a test's collector otherwise. */
export interface LogStream {
  write(line: string): void;
}

/**
 * The path of a request target with its query and fragment cut off (they carry tokens, card numbers,
 * search terms), and anything the detectors find in the path itself masked.
 */
export function loggedPath(url: string): string {
  const end = url.search(/[?#]/);
  const path = end < 0 ? url : url.slice(0, end);
  let out = "";
  let at = 0;
  for (const found of findValues(path, { emails: true })) {
    out += path.slice(at, found.start) + markerOf(found.kind);
    at = found.end;
  }
  return out + path.slice(at);
}

/** pino's `req` serializer: what Fastify's default logs, with the URL's query cut off and no headers. */
function requestForLog(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: loggedPath(request.url),
    remoteAddress: request.ip,
    remotePort: request.socket.remotePort,
  };
}

export function loggerOptions(level: string, stream: LogStream | undefined): Record<string, unknown> {
  return {
    level,
    serializers: { req: requestForLog },
    // Credentials travel in these headers; the serializer leaves headers out, and this keeps them out of any other object logged.
    redact: { paths: ["req.headers.authorization", "req.headers.cookie", 'req.headers["x-arbiter-pep-credential"]', "headers.authorization", "headers.cookie"], censor: "[redacted]" },
    ...(stream !== undefined ? { stream } : {}),
  };
}
