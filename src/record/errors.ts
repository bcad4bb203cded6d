// Typed errors with stable codes: caught once at a door (CLI, HTTP, MCP) and turned into a message.

/**
 * Every internal error code. Each has one meaning; `docs/reason-codes.md` documents them and a
 * test keeps the two in step. No error code is also a reason code (record/reason-codes.ts): an
 * agent's refusal carries either, and one name must not mean two things.
 */
export const ERROR_CODES = {
  INVALID_RECORD: "A record failed schema validation.",
  RECORD_TOO_LARGE: "A record's canonical bytes exceed the 64 KiB leaf limit.",
  INVALID_JSON: "Input was not valid JSON, or a value cannot be encoded as I-JSON (RFC 7493).",
  INVALID_COMMITMENT: "A commitment or its salt is malformed or too weak.",
  LEDGER_CORRUPT: "Stored ledger data does not match its hashes, signatures or checkpoints.",
  LEDGER_UNAVAILABLE: "The ledger could not durably record an entry; the action must not proceed.",
  INCONSISTENT_CHECKPOINT: "A new checkpoint is not consistent with the last signed one.",
  DATA_DIR_INVALID: "The data directory is missing, foreign or damaged.",
  SETTINGS_INVALID: "A setting in the settings file or an environment variable is unknown or has a value outside its allowed values.",
  NOT_FOUND: "The requested entry, record or object does not exist.",
  INDEX_OUT_OF_RANGE: "An index or tree size lies outside the ledger.",
  PROOF_INVALID: "A proof, signature or checkpoint failed verification.",
  NOTE_INVALID: "A signed note or key is malformed or not signed by the expected key.",
  BUNDLE_INVALID: "An evidence bundle is malformed or fails verification.",
  USAGE: "A command or request was used incorrectly.",
  REQUEST_INVALID: "A request body, query or parameter does not match its schema.",
  PAYLOAD_TOO_LARGE: "A request or message exceeds its size limit.",
  UNAUTHENTICATED: "No valid operator or caller credential was presented.",
  FORBIDDEN: "The authenticated caller may not do this: its identity lacks the role, or the assertion scope, the operation needs.",
  CONFLICT: "The object already exists, or its state does not allow this operation.",
  OWNER_REQUIRED: "A non-human identity must have an accountable human owner: the owner given is missing, not a human, or not active.",
  IDENTITY_NOT_FOUND: "The named identity does not exist.",
  UNKNOWN_ACTION: "The action is not declared in the active policy schema.",
  UNKNOWN_RESOURCE_TYPE: "The resource type is not declared, or the action does not apply to it.",
  POLICY_INVALID: "A policy set failed to parse or validate against its schema; the running set stays active.",
  POLICY_TESTS_FAILED: "A policy set's own test cases failed, so it was not activated; the running set stays active.",
  NO_ACTIVE_POLICY: "No policy set has been activated, so no decision can be made.",
  APPROVAL_NOT_ALLOWED: "The approver may not decide this request (not an approver, the requester, or the requester's owner).",
  MCP_SESSION_LIMIT: "The caller already holds as many MCP sessions as one identity may hold at once; it must close one before opening another.",
  EVENT_STREAM_LIMIT: "The caller already holds as many live event streams as one identity may (or the server as many as it serves); close one and reconnect later.",
  WHAT_IF_REFUSED: "A decision request named the time to decide at: only `arbiter decide --at` evaluates at another time, as an unrecorded what-if; an enforcement point cannot choose the time.",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class ArbiterError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "ArbiterError";
    this.code = code;
    this.details = details;
  }
}

export function isArbiterError(err: unknown): err is ArbiterError {
  return err instanceof ArbiterError;
}
