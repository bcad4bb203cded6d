// The reason-code registry: the required codes exist, findings are marked, and schemas accept exactly the table.
import { describe, expect, it } from "vitest";
import {
  CONTROLS,
  OUTCOMES,
  REASON_CODES,
  decisionReasonCodeSchema,
  isFinding,
  reasonCodeSchema,
  type ReasonCode,
} from "../../src/record/index.js";

const DECISION_CODES = [
  "POLICY_PERMIT", "NO_MATCHING_PERMIT", "POLICY_FORBID", "APPROVAL_REQUIRED", "APPROVAL_GRANTED",
  "APPROVAL_DENIED", "APPROVAL_EXPIRED", "STEP_UP_REQUIRED", "RATE_LIMITED", "QUOTA_EXCEEDED",
  "OUTSIDE_TIME_WINDOW", "INTENT_MISMATCH", "CREDENTIAL_EXPIRED", "CREDENTIAL_REVOKED",
  "CREDENTIAL_ROTATED", "CREDENTIAL_INVALID", "UNKNOWN_PRINCIPAL", "IDENTITY_SUSPENDED",
  "IDENTITY_REVOKED", "IDENTITY_OFFBOARDED", "NO_OWNER", "ROLE_REQUIRED", "BREAK_GLASS", "BREAK_GLASS_OPEN", "GRANT_EXPIRED",
  "DATA_MASKED", "DECISION_ERROR", "NO_ROUTE", "REQUEST_REJECTED", "CREDENTIAL_MISSING", "PEP_UNAUTHENTICATED",
  "ASSERTION_OUT_OF_SCOPE", "SESSION_LIMIT", "TASK_COMPLETED", "RATE_LIMIT_UNAVAILABLE",
];
const FINDING_CODES = [
  "UNLINKED_ACTION", "EXECUTED_DESPITE_DENY", "GRANT_EXPIRED_AT_USE", "CREDENTIAL_REVOKED_AT_USE",
  "CREDENTIAL_ROTATED_AT_USE", "APPROVAL_SCOPE_MISMATCH", "IDENTITY_WITHOUT_OWNER", "USED_AFTER_TASK_COMPLETED",
];
const codes = Object.keys(REASON_CODES) as ReasonCode[];

describe("REASON_CODES", () => {
  it("holds exactly the decision codes and findings Arbiter documents", () => {
    expect(codes.filter((c) => !isFinding(c)).sort()).toEqual([...DECISION_CODES].sort());
    expect(codes.filter((c) => isFinding(c)).sort()).toEqual([...FINDING_CODES].sort());
  });

  it.each(codes)("%s has a one-sentence meaning and a known control", (code) => {
    const info = REASON_CODES[code];
    expect(code).toMatch(/^[A-Z]+(?:_[A-Z]+)*$/);
    expect(info.meaning).toMatch(/^[A-Z].*\.$/);
    expect(info.meaning.slice(0, -1)).not.toMatch(/[.!?]\s/);
    expect(CONTROLS).toContain(info.control);
    if (!info.finding) expect(OUTCOMES).toContain(info.outcome);
  });

  it("schemas accept the table and nothing else", () => {
    for (const code of codes) {
      expect(reasonCodeSchema.safeParse(code).success).toBe(true);
      expect(decisionReasonCodeSchema.safeParse(code).success).toBe(!isFinding(code));
    }
    for (const other of ["policy_permit", "PERMIT", "", "POLICY_PERMIT "]) {
      expect(reasonCodeSchema.safeParse(other).success).toBe(false);
    }
  });
});
