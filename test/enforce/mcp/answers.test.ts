// The text an agent reads when a call is refused: whole sentences, each ended before the next begins.
import { describe, expect, it } from "vitest";
import { refusalText } from "../../../src/enforce/mcp/answers.js";

describe("refusal text", () => {
  it("ends a note without a full stop before `Decision …`", () => {
    const text = refusalText({ reason_code: "POLICY_FORBID", note: "Agents may not read secrets", decision_id: "01KB0000000000000000000000" });
    expect(text).toBe("Arbiter blocked this call: POLICY_FORBID. Agents may not read secrets. Decision 01KB0000000000000000000000.");
  });

  it("leaves a note that already ends its sentence alone", () => {
    const text = refusalText({ reason_code: "RATE_LIMITED", note: "Too many calls! ", retry_after: 12, decision_id: "01KB0000000000000000000001" });
    expect(text).toBe("Arbiter blocked this call: RATE_LIMITED. Too many calls! Retry after 12 s. Decision 01KB0000000000000000000001.");
  });
});
