// Kubernetes audit log (audit.k8s.io/v1 Event, one JSON object per line, as the log backend writes it).
import type { IdentityType } from "../../record/index.js";
import { skip, type EventOutcome, type Imported, type Position } from "../event.js";
import { objectAt, textAt, timeOf } from "../json-path.js";
import { isObject, type Importer } from "./importer.js";

/** Stages after which the request was decided and answered; earlier stages repeat the same auditID. */
const FINAL_STAGES = new Set(["ResponseComplete", "Panic"]);
/** Kubernetes ≥ 1.29 puts the service account token's jti here as "JTI=<id>". */
const CREDENTIAL_ID = "authentication.kubernetes.io/credential-id";

/** Service accounts are the cluster's non-human identities; other users are people (or an OIDC identity Arbiter knows by name). */
function subjectType(username: string): IdentityType {
  return username.startsWith("system:serviceaccount:") ? "service_account" : "human";
}

/** Nodes and control-plane components (system:kube-scheduler, system:node:…) act for the cluster itself, never through a PEP of ours. */
function isControlPlane(username: string): boolean {
  return username.startsWith("system:") && !username.startsWith("system:serviceaccount:");
}

function credentialOf(user: Record<string, unknown>): string | undefined {
  const values = objectAt(user, "extra")?.[CREDENTIAL_ID];
  const first = Array.isArray(values) && typeof values[0] === "string" ? values[0] : undefined;
  return first?.replace(/^JTI=/, "");
}

function outcomeOf(event: Record<string, unknown>): EventOutcome {
  if (textAt(event, "annotations", "authorization.k8s.io/decision") === "forbid") return "deny";
  const code = objectAt(event, "responseStatus")?.code;
  if (typeof code !== "number") return "unknown";
  if (code === 401 || code === 403) return "deny";
  return code < 400 ? "allow" : "error";
}

/** An admission webhook may add audit annotations; Arbiter's is `<webhook>/decision-id`. */
function decisionIdOf(event: Record<string, unknown>): string | undefined {
  const annotations = objectAt(event, "annotations") ?? {};
  const key = Object.keys(annotations).find((k) => /arbiter/i.test(k) && k.endsWith("/decision-id"));
  return key === undefined ? undefined : textAt(annotations, key);
}

function resourceOf(event: Record<string, unknown>): { id: string; type?: string } {
  const ref = objectAt(event, "objectRef");
  const uri = (textAt(event, "requestURI") ?? "/").split("?")[0] as string;
  if (ref === undefined) return { id: uri, type: "nonResourceURL" };
  const sub = textAt(ref, "subresource");
  const type = [textAt(ref, "apiGroup"), textAt(ref, "resource")].filter(Boolean).join("/") + (sub !== undefined ? `/${sub}` : "");
  const id = [textAt(ref, "namespace"), textAt(ref, "name")].filter(Boolean).join("/") || uri;
  return { id, ...(type ? { type } : {}) };
}

function eventOf(event: Record<string, unknown>, at: Position): Imported {
  const stage = textAt(event, "stage");
  if (stage !== undefined && !FINAL_STAGES.has(stage)) return { kind: "ignore", reason: `k8s stage ${stage}` };
  const verb = textAt(event, "verb");
  const user = objectAt(event, "impersonatedUser") ?? objectAt(event, "user");
  const username = textAt(user, "username");
  if (verb === undefined || user === undefined || username === undefined) return skip("missing_field", `line ${at.line}: an audit event needs verb and user.username`);
  if (isControlPlane(username)) return { kind: "ignore", reason: "k8s control-plane user" };
  const timeMs = timeOf(event.requestReceivedTimestamp ?? event.stageTimestamp);
  if (timeMs === undefined) return skip("invalid_time", `line ${at.line}: requestReceivedTimestamp is not an RFC 3339 time`);
  const credentialId = credentialOf(user);
  const decisionId = decisionIdOf(event);
  const originalId = textAt(event, "auditID");
  return {
    kind: "event",
    event: {
      system: "k8s",
      at,
      ...(originalId !== undefined ? { originalId } : {}),
      timeMs,
      subject: { id: username, type: subjectType(username), ...(credentialId !== undefined ? { credentialId } : {}) },
      action: verb,
      resource: resourceOf(event),
      outcome: outcomeOf(event),
      ...(decisionId !== undefined ? { decisionId } : {}),
    },
  };
}

export function k8sImporter(): Importer {
  return {
    system: "k8s",
    parse(value, at) {
      if (!isObject(value)) return [skip("wrong_format", `line ${at.line} is not a JSON object`)];
      if (value.kind === "EventList" && Array.isArray(value.items)) return value.items.map((item, i) => (isObject(item) ? eventOf(item, { file: at.file, line: i + 1 }) : skip("wrong_format", `item ${i + 1} is not an object`)));
      if (value.kind !== "Event" || !String(value.apiVersion).startsWith("audit.k8s.io/")) {
        return [skip("wrong_format", `line ${at.line} is not a Kubernetes audit event (kind ${JSON.stringify(value.kind)}, apiVersion ${JSON.stringify(value.apiVersion)})`)];
      }
      return [eventOf(value, at)];
    },
  };
}
