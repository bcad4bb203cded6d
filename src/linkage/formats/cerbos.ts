// Cerbos audit decision logs (file backend: one JSON entry per line, log.kind "decision" or "access").
import type { DecisionReasonCode, Outcome } from "../../record/index.js";
import { parseTraceparent, skip, type Imported, type Position } from "../event.js";
import { objectAt, textAt, timeOf, valueAt } from "../json-path.js";
import { isObject, type Importer } from "./importer.js";

/** Cerbos names the policy that decided, or NO_MATCH when none applied (its default deny). */
const NO_MATCH = "NO_MATCH";

function verdictOf(effect: string | undefined, policy: string | undefined): { outcome: Outcome; reason: DecisionReasonCode } | undefined {
  if (effect === "EFFECT_ALLOW") return { outcome: "allow", reason: "POLICY_PERMIT" };
  if (effect === "EFFECT_DENY") return { outcome: "deny", reason: policy === undefined || policy === NO_MATCH ? "NO_MATCHING_PERMIT" : "POLICY_FORBID" };
  return undefined;
}

/** The policy source kind (disk, git, hub…) and, from Cerbos Hub, the bundle's label. */
function sourceOf(entry: Record<string, unknown>): { kind: string; revision?: string } {
  const source = objectAt(entry, "policySource") ?? {};
  const kind = Object.keys(source)[0] ?? "unknown";
  const revision = textAt(source, kind, "deploymentId") ?? textAt(source, kind, "playgroundId") ?? textAt(source, kind, "ref");
  return { kind, ...(revision !== undefined ? { revision } : {}) };
}

function decisionsOf(entry: Record<string, unknown>, at: Position): Imported[] {
  const callId = textAt(entry, "callId");
  const check = objectAt(entry, "checkResources");
  if (callId === undefined || check === undefined) {
    return objectAt(entry, "planResources") !== undefined ? [{ kind: "ignore", reason: "cerbos plan resources" }] : [skip("wrong_format", `line ${at.line}: a decision entry needs callId and checkResources`)];
  }
  const timeMs = timeOf(entry.timestamp);
  if (timeMs === undefined) return [skip("invalid_time", `line ${at.line}: timestamp is not an RFC 3339 time`)];
  const inputs = Array.isArray(check.inputs) ? check.inputs : [];
  const outputs = Array.isArray(check.outputs) ? check.outputs : [];
  const trace = parseTraceparent(valueAt(entry, ["metadata", "traceparent", "values", 0]));
  const source = sourceOf(entry);
  const out: Imported[] = [];
  inputs.forEach((input, i) => {
    const principal = textAt(input, "principal", "id");
    const kind = textAt(input, "resource", "kind");
    const id = textAt(input, "resource", "id");
    const actions = objectAt(outputs[i], "actions") ?? {};
    if (principal === undefined || kind === undefined || id === undefined) {
      out.push(skip("missing_field", `line ${at.line}: input ${i + 1} needs principal.id, resource.kind and resource.id`));
      return;
    }
    for (const [action, result] of Object.entries(actions)) {
      const policy = textAt(result, "policy");
      const verdict = verdictOf(textAt(result, "effect"), policy);
      if (verdict === undefined) {
        out.push(skip("wrong_format", `line ${at.line}: action ${action} has no EFFECT_ALLOW/EFFECT_DENY`));
        continue;
      }
      const determining = policy !== undefined && policy !== NO_MATCH ? [policy] : [];
      out.push({
        kind: "decision",
        decision: {
          engine: "cerbos",
          at,
          sourceId: callId,
          originalId: `${callId}/${i}/${action}`,
          timeMs,
          subject: { id: principal },
          action,
          resource: { id, type: kind },
          ...verdict,
          policy: { set_version: determining[0] ?? `cerbos:${source.kind}`, determining, ...(source.revision !== undefined ? { bundle_revision: source.revision } : {}) },
          ...(trace !== undefined ? { traceId: trace.traceId, spanId: trace.spanId } : {}),
        },
      });
    }
  });
  return out;
}

export function cerbosImporter(): Importer {
  return {
    system: "cerbos",
    parse(value, at) {
      if (!isObject(value)) return [skip("wrong_format", `line ${at.line} is not a JSON object`)];
      const kind = value["log.kind"];
      if (kind === "access") return [{ kind: "ignore", reason: "cerbos access log entry" }];
      if (kind !== "decision" && !("checkResources" in value)) return [skip("wrong_format", `line ${at.line} is not a Cerbos audit decision entry`)];
      return decisionsOf(value, at);
    },
  };
}
