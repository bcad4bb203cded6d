// Listings show only what the caller may use at all; answers are cached briefly per caller and policy version.
import { createHash } from "node:crypto";
import type { SubjectRef } from "../../decide/index.js";
import type { Candidate } from "../../decide/index.js";
import type { DecisionPoint } from "../decision-point/index.js";
import { protocolRefusal } from "./answers.js";

const TTL_MS = 5_000;
const MAX_ENTRIES = 64;

interface Entry {
  at: number;
  policyVersion: string;
  visible: boolean[];
}

/**
 * Listing is not an action: it is not recorded, and it hides only what no call could be allowed
 * (every call is still decided on its own). A refused credential gets a JSON-RPC error naming the
 * reason rather than an empty list, so the person setting up the agent sees why.
 */
export class Listing {
  private readonly cache = new Map<string, Entry>();
  private readonly point: DecisionPoint;
  private readonly subject: SubjectRef;

  constructor(point: DecisionPoint, subject: SubjectRef) {
    this.point = point;
    this.subject = subject;
  }

  async filter<T>(items: readonly T[], candidate: (item: T) => Candidate): Promise<T[]> {
    if (items.length === 0) return [];
    const candidates = items.map(candidate);
    const key = createHash("sha256").update(JSON.stringify(candidates)).digest("hex");
    const now = Date.now();
    let entry = this.cache.get(key);
    if (!entry || now - entry.at > TTL_MS) {
      const answer = await this.point.visible(this.subject, candidates);
      if (!answer.caller.ok) {
        throw protocolRefusal({ reason_code: answer.caller.reason, note: `Arbiter refused the agent's credential, so nothing behind this gateway can be used: ${answer.caller.message}` });
      }
      // A new policy version makes every cached answer stale, whatever its age.
      if (entry && entry.policyVersion !== answer.policy_version) this.cache.clear();
      entry = { at: now, policyVersion: answer.policy_version, visible: answer.visible };
      if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, entry);
    }
    const visible = entry.visible;
    return items.filter((_, i) => visible[i] === true);
  }

  forget(): void {
    this.cache.clear();
  }
}
