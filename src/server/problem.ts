// RFC 9457 problem details: the one place errors become HTTP answers.
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { ERROR_CODES, isArbiterError, type ErrorCode } from "../record/index.js";
import { storageUnavailable } from "../store/index.js";
import { leaveBodyUnread } from "./unread-body.js";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** HTTP status of every error code; a test checks none is missing. */
export const STATUS_OF: Record<ErrorCode, number> = {
  INVALID_RECORD: 400,
  RECORD_TOO_LARGE: 413,
  INVALID_JSON: 400,
  INVALID_COMMITMENT: 400,
  LEDGER_CORRUPT: 500,
  LEDGER_UNAVAILABLE: 503,
  INCONSISTENT_CHECKPOINT: 500,
  DATA_DIR_INVALID: 500,
  SETTINGS_INVALID: 500,
  NOT_FOUND: 404,
  INDEX_OUT_OF_RANGE: 404,
  PROOF_INVALID: 400,
  NOTE_INVALID: 400,
  BUNDLE_INVALID: 400,
  USAGE: 400,
  REQUEST_INVALID: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CONFLICT: 409,
  OWNER_REQUIRED: 422,
  IDENTITY_NOT_FOUND: 422,
  UNKNOWN_ACTION: 422,
  UNKNOWN_RESOURCE_TYPE: 422,
  POLICY_INVALID: 422,
  POLICY_TESTS_FAILED: 422,
  NO_ACTIVE_POLICY: 503,
  APPROVAL_NOT_ALLOWED: 403,
  MCP_SESSION_LIMIT: 429,
  EVENT_STREAM_LIMIT: 429,
  WHAT_IF_REFUSED: 400,
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  [extension: string]: unknown;
}

export function problem(code: ErrorCode | "INTERNAL", detail: string, extensions: Record<string, unknown> = {}): Problem {
  const status = code === "INTERNAL" ? 500 : STATUS_OF[code];
  const title = code === "INTERNAL" ? "Internal error" : ERROR_CODES[code];
  return { type: `/problems/${code}`, title, status, detail, code, ...extensions };
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  if (body.status === 401) reply.header("www-authenticate", 'Bearer realm="arbiter"');
  return reply.status(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: { issue?: { path?: (string | number)[]; message?: string } };
}

/** Fastify's own errors (bad JSON, body too large, schema validation) mapped onto our codes. */
function fromFastify(error: FastifyError): Problem | undefined {
  if (error.validation) {
    const issues = (error.validation as ValidationIssue[]).map((issue) => ({
      path: issue.instancePath || "/",
      message: issue.message ?? "invalid",
    }));
    const first = issues[0];
    const where = error.validationContext ?? "body";
    return problem("REQUEST_INVALID", `${where}${first ? `${first.path === "/" ? "" : first.path}: ${first.message}` : " is invalid"}`, { errors: issues });
  }
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return problem("PAYLOAD_TOO_LARGE", error.message);
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return problem("INVALID_JSON", error.message);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return problem("REQUEST_INVALID", error.message);
    default:
      if (error instanceof SyntaxError || (error.statusCode === 400 && /JSON/i.test(error.message))) return problem("INVALID_JSON", error.message);
      if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
        return { ...problem("REQUEST_INVALID", error.message), status: error.statusCode };
      }
      return undefined;
  }
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") leaveBodyUnread(request, reply);
  let body: Problem;
  const unavailable = isArbiterError(error) ? undefined : storageUnavailable(error);
  if (isArbiterError(error)) {
    body = problem(error.code, error.message, "problems" in error.details ? { problems: error.details.problems } : {});
  } else if (unavailable) {
    // Fail closed, as a decision does: nothing was done, and the caller may retry once the disk has room.
    request.log.error({ err: error, code: unavailable.code }, "the data directory could not be written");
    body = problem(unavailable.code, unavailable.message);
  } else {
    const mapped = fromFastify(error);
    if (mapped) body = mapped;
    else {
      // Unknown failures are logged for operators; the client learns only that the server failed.
      request.log.error({ err: error }, "unhandled error");
      body = problem("INTERNAL", "the server failed to handle this request");
    }
  }
  return sendProblem(reply, { ...body, instance: request.url.split("?")[0] });
}
