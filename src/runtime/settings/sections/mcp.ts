// `mcp`: the MCP gateway's sessions and time limits (`arbiter serve` at /mcp/NAME, and `arbiter mcp wrap`).
import { duration, integer } from "../kinds.js";
import { section, setting } from "../setting.js";

const DAY_MS = 86_400_000;

export const mcp = section("The MCP gateway.", {
  max_sessions: setting(integer(1, 10_000), {
    default: 64,
    doc: "Most Streamable HTTP sessions open at once at /mcp/NAME (each runs its own upstream); a new session beyond it is refused.",
    env: "ARBITER_MCP_MAX_SESSIONS",
  }),
  max_sessions_per_identity: setting(integer(1, 10_000), {
    default: 8,
    doc: "Most Streamable HTTP sessions one identity may hold open at once, whichever of its credentials opened them; one more is refused with 429 and recorded, so one agent cannot take every session.",
    env: "ARBITER_MCP_MAX_SESSIONS_PER_IDENTITY",
  }),
  idle_timeout: setting(duration({ bare: "s", min: 1000, max: DAY_MS }), {
    default: 30 * 60_000,
    doc: "A Streamable HTTP session with no request for this long is closed, and its upstream stopped.",
    env: "ARBITER_MCP_IDLE_TIMEOUT",
  }),
  approval_timeout: setting(duration({ bare: "s", min: 1000, max: DAY_MS }), {
    default: 120_000,
    doc: "How long a call that needs an approval is held open for an approver (an upstream's own `mcp add --approval-timeout` wins).",
    env: "ARBITER_MCP_APPROVAL_TIMEOUT",
    flag: "--approval-timeout <duration>",
  }),
  call_timeout: setting(duration({ bare: "s", min: 1000, max: DAY_MS }), {
    default: 60_000,
    doc: "How long an upstream may take to answer one call (an upstream's own `mcp add --call-timeout` wins).",
    env: "ARBITER_MCP_CALL_TIMEOUT",
    flag: "--call-timeout <duration>",
  }),
});
