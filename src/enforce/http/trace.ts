// W3C Trace Context (§3.2) for checks: the caller's trace continued, or a new one, with a span of Arbiter's own.
import { randomHex, type Correlation } from "../../record/index.js";

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

export interface TraceContext {
  correlation: Correlation;
  /** The traceparent to send upstream: same trace, Arbiter's span as the parent. */
  traceparent: string;
}

export function traceOf(traceparent: string | undefined, requestId: string | undefined): TraceContext {
  const m = traceparent === undefined ? null : TRACEPARENT.exec(traceparent.trim());
  // §3.2.2.3-4: version ff, an all-zero trace-id or parent-id make the whole header invalid.
  const valid = m !== null && m[1] !== "ff" && !/^0+$/.test(m[2] ?? "") && !/^0+$/.test(m[3] ?? "");
  // From the pooled CSPRNG: two randomBytes calls were 2% of the reverse proxy's main-thread time.
  const fresh = randomHex(valid ? 8 : 24);
  const traceId = valid && m ? (m[2] as string) : fresh.slice(16);
  const flags = valid && m ? (m[4] as string) : "01";
  const span = fresh.slice(0, 16);
  return {
    correlation: {
      trace_id: traceId,
      span_id: valid && m ? (m[3]) : span,
      ...(requestId !== undefined && REQUEST_ID.test(requestId) ? { request_id: requestId } : {}),
    },
    traceparent: `00-${traceId}-${span}-${flags}`,
  };
}
