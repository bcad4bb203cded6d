// PgPolicies against the real server: versions kept by content hash, activations one after another,
// and the refusal of an activation that did not start from the active version (as in test/store/conformance.ts).
import { afterEach, describe, expect, it } from "vitest";
import type { PolicyActivation } from "../../../src/store/contracts/policies.js";
import type { PgConnection } from "../../../src/store/postgres/connection.js";
import { PgPolicies } from "../../../src/store/postgres/policy-repository.js";
import { codeOf } from "../../support/errors.js";
import { freshPgConnection } from "../../support/postgres.js";

const T0 = "2026-12-06T10:00:00.000Z";
const later = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();

const activation = (version: string, previous: string | null, seconds: number): PolicyActivation => ({
  version, content: `{"v":"${version}"}`, sources: "{}", previous, actor: '{"id":"dana","type":"human"}', at: later(seconds), recordId: `rec-${version}-${seconds}`,
});

const open: PgConnection[] = [];

afterEach(() => {
  for (const conn of open.splice(0)) conn.close();
});

function fresh(): { conn: PgConnection; policies: PgPolicies; activate: (a: PolicyActivation) => void } {
  const conn = freshPgConnection();
  open.push(conn);
  const policies = new PgPolicies(conn);
  return { conn, policies, activate: (a) => conn.transaction(() => policies.activate(a)) };
}

describe("PgPolicies", () => {
  it("activates policy versions one after another, refusing an activation that did not start from the active one", () => {
    const { policies, activate } = fresh();
    expect(policies.activeVersion()).toBeNull();
    expect(policies.version("sha256:none")).toBeUndefined();
    expect(policies.versions()).toEqual([]);
    expect(policies.activations()).toEqual([]);
    expect(codeOf(() => activate(activation("v1", "v0", 0)))).toBe("CONFLICT");
    expect(policies.versions()).toEqual([]);
    activate(activation("v1", null, 0));
    activate(activation("v2", "v1", 1));
    expect(codeOf(() => activate(activation("v3", "v1", 1)))).toBe("CONFLICT");
    expect(codeOf(() => activate(activation("v3", null, 1)))).toBe("CONFLICT");
    expect(policies.activeVersion()).toBe("v2");
    expect(policies.version("v3")).toBeUndefined();
    expect(policies.versions().map((v) => v.version)).toEqual(["v2", "v1"]);
    activate(activation("v1", "v2", 5));
    expect(policies.activeVersion()).toBe("v1");
    expect(policies.versions()).toHaveLength(2);
    expect(policies.version("v1")).toEqual({ version: "v1", content: '{"v":"v1"}', sources: "{}", createdAt: later(0) });
    expect(policies.activations()).toEqual([
      { seq: 3, version: "v1", previous: "v2", actor: '{"id":"dana","type":"human"}', activatedAt: later(5), recordId: "rec-v1-5" },
      { seq: 2, version: "v2", previous: "v1", actor: '{"id":"dana","type":"human"}', activatedAt: later(1), recordId: "rec-v2-1" },
      { seq: 1, version: "v1", previous: null, actor: '{"id":"dana","type":"human"}', activatedAt: later(0), recordId: "rec-v1-0" },
    ]);
  });

  it("names the version activated meanwhile in its refusal", () => {
    const { conn, policies, activate } = fresh();
    activate(activation("v1", null, 0));
    const err = (() => {
      try {
        conn.transaction(() => policies.activate(activation("v2", null, 1)));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toMatchObject({ code: "CONFLICT", message: "policy set v1 was activated meanwhile; activate again", details: { active: "v1" } });
  });

  it("lists versions newest first, by creation time and then in the order they were stored", () => {
    const { policies, activate } = fresh();
    activate(activation("b", null, 1));
    activate(activation("a", "b", 1));
    activate(activation("c", "a", 0));
    expect(policies.versions().map((v) => v.version)).toEqual(["a", "b", "c"]);
  });
});
