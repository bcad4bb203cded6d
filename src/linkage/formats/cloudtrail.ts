// AWS CloudTrail: records files ({"Records": [...]}, usually gzip) and JSON lines of records; digest files are checked aside.
import type { IdentityType } from "../../record/index.js";
import { skip, type Imported, type Position } from "../event.js";
import { objectAt, textAt, timeOf } from "../json-path.js";
import { DigestCheck } from "./cloudtrail-digest.js";
import { isObject, type Importer } from "./importer.js";

/** errorCode values that mean IAM (or a resource policy) refused the call. */
const DENIED = /AccessDenied|Unauthorized|Forbidden|NotAuthorized/i;
/**
 * Where a caller behind Arbiter can leave the decision id in a CloudTrail record: the SDK's
 * user-agent app id (`AWS_SDK_UA_APP_ID`, written as `app/<id>`) or an explicit `arbiter-decision/<id>`.
 */
const DECISION_IN_USER_AGENT = /(?:arbiter-decision\/([\x21-\x7e]{1,128})|\bapp\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}))/i;

/** The acting principal as Arbiter would name it, and what kind of identity it is. */
function principalOf(identity: Record<string, unknown>): { id: string; type: IdentityType; principal?: string } {
  const kind = textAt(identity, "type");
  const sourceIdentity = textAt(identity, "sessionContext", "sourceIdentity");
  // SourceIdentity is set by whoever assumed the role (an agent's own name) and survives role chaining.
  if (sourceIdentity !== undefined) return { id: sourceIdentity, type: "unknown" };
  const arn = textAt(identity, "arn");
  switch (kind) {
    case "AssumedRole": {
      const session = arn?.split("/").slice(2).join("/");
      const role = arn?.split("/")[1] ?? "";
      return { id: session || (textAt(identity, "principalId") ?? "unknown"), type: role.startsWith("AWSReservedSSO_") ? "human" : "workload", ...(arn !== undefined ? { principal: arn } : {}) };
    }
    case "IAMUser":
      return { id: textAt(identity, "userName") ?? arn ?? "unknown", type: "unknown", ...(arn !== undefined ? { principal: arn } : {}) };
    case "Root":
      return { id: arn ?? "root", type: "human" };
    case "IdentityCenterUser":
      return { id: textAt(identity, "onBehalfOf", "userId") ?? textAt(identity, "principalId") ?? "unknown", type: "human" };
    default:
      return { id: textAt(identity, "userName") ?? arn ?? textAt(identity, "principalId") ?? textAt(identity, "invokedBy") ?? "unknown", type: "unknown" };
  }
}

/** The resource acted on: the first listed ARN, else what the request parameters name. */
function resourceOf(record: Record<string, unknown>, service: string): { id: string; type?: string } {
  const listed = Array.isArray(record.resources) ? record.resources.find(isObject) : undefined;
  const arn = textAt(listed, "ARN");
  if (arn !== undefined) {
    const type = textAt(listed, "type");
    return { id: arn, ...(type !== undefined ? { type } : {}) };
  }
  const params = objectAt(record, "requestParameters");
  const bucket = textAt(params, "bucketName");
  if (bucket !== undefined) {
    const key = textAt(params, "key");
    return { id: `arn:aws:s3:::${bucket}${key !== undefined ? `/${key}` : ""}`, type: key !== undefined ? "AWS::S3::Object" : "AWS::S3::Bucket" };
  }
  const named = textAt(params, "functionName") ?? textAt(params, "roleArn") ?? textAt(params, "tableName") ?? textAt(params, "secretId") ?? textAt(params, "name");
  return { id: named ?? service };
}

function eventOf(record: Record<string, unknown>, at: Position): Imported {
  const eventName = textAt(record, "eventName");
  const eventSource = textAt(record, "eventSource");
  if (eventName === undefined || eventSource === undefined) return skip("wrong_format", `record ${at.line} has no eventName/eventSource: not a CloudTrail record`);
  const timeMs = timeOf(record.eventTime);
  if (timeMs === undefined) return skip("invalid_time", `record ${at.line}: eventTime ${JSON.stringify(record.eventTime)} is not an RFC 3339 time`);
  const identity = objectAt(record, "userIdentity");
  if (identity === undefined) return skip("missing_field", `record ${at.line} has no userIdentity`);
  // AWS acting for itself (log delivery, service-linked calls) never passes an enforcement point of ours.
  if (textAt(identity, "type") === "AWSService") return { kind: "ignore", reason: "cloudtrail AWS service event" };
  const principal = principalOf(identity);
  const service = eventSource.replace(/\.amazonaws\.com$/, "");
  const errorCode = textAt(record, "errorCode");
  const credentialId = textAt(record, "userIdentity", "accessKeyId");
  const ua = DECISION_IN_USER_AGENT.exec(textAt(record, "userAgent") ?? "");
  const decisionId = ua?.[1] ?? ua?.[2];
  const originalId = textAt(record, "eventID");
  return {
    kind: "event",
    event: {
      system: "cloudtrail",
      at,
      ...(originalId !== undefined ? { originalId } : {}),
      timeMs,
      subject: { ...principal, ...(credentialId !== undefined ? { credentialId } : {}) },
      action: `${service}:${eventName}`,
      resource: resourceOf(record, service),
      outcome: errorCode === undefined ? "allow" : DENIED.test(errorCode) ? "deny" : "error",
      ...(decisionId !== undefined ? { decisionId } : {}),
    },
  };
}

export function cloudTrailImporter(): Importer {
  const digests = new DigestCheck();
  return {
    system: "cloudtrail",
    parse(value, at) {
      if (!isObject(value)) return [skip("wrong_format", `record ${at.line} is not a JSON object`)];
      if (Array.isArray(value.Records)) return value.Records.map((r, i) => (isObject(r) ? eventOf(r, { file: at.file, line: i + 1 }) : skip("wrong_format", `record ${i + 1} is not an object`)));
      if ("logFiles" in value || "digestStartTime" in value) return [digests.add(value, at)];
      return [eventOf(value, at)];
    },
    finish: (files) => digests.report(files),
  };
}
