// What every importer is: one parsed JSON value in, normalized events or foreign decisions out.
import type { JsonObject } from "../../record/index.js";
import type { Imported, Position } from "../event.js";
import type { FileFacts } from "../input.js";

export interface Importer {
  /** The system events are attributed to (`cloudtrail`, `k8s`, the mapping's name…). */
  readonly system: string;
  parse(value: unknown, at: Position): Imported[];
  /** Called after every file was read; returns the importer's own report section (CloudTrail digests). */
  finish?(files: readonly FileFacts[]): JsonObject | undefined;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Outcome of an HTTP status as a service behind an enforcement point logged it. */
export function httpOutcome(status: number): "executed" | "deny" | "failed" {
  if (status === 401 || status === 403) return "deny";
  return status < 400 ? "executed" : "failed";
}
