// Identity lifecycle: every transition from every status, owners (OWNER_REQUIRED, orphans), and the record each change appends.
import { describe, expect, it } from "vitest";
import type { IdentityDirectory, IdentityStatus } from "../../src/identity/index.js";
import type { LifecycleRecord } from "../../src/record/index.js";
import { ADMIN, agent, freshDirectory } from "./fixture.js";

type Transition = "suspend" | "reactivate" | "revoke" | "offboard";

/** Expected next status; null = refused with CONFLICT. */
const TABLE: Record<IdentityStatus, Record<Transition, IdentityStatus | null>> = {
  active: { suspend: "suspended", reactivate: null, revoke: "revoked", offboard: "offboarded" },
  suspended: { suspend: null, reactivate: "active", revoke: "revoked", offboard: "offboarded" },
  revoked: { suspend: null, reactivate: null, revoke: null, offboard: "offboarded" },
  offboarded: { suspend: null, reactivate: null, revoke: null, offboard: null },
};

/** The transitions that lead from active to each status. */
const PATH: Record<IdentityStatus, Transition[]> = {
  active: [],
  suspended: ["suspend"],
  revoked: ["revoke"],
  offboarded: ["offboard"],
};

const fx = freshDirectory();
const { directory, ledger } = fx;
let counter = 0;

async function identityIn(status: IdentityStatus): Promise<string> {
  const id = `bot-${++counter}`;
  await agent(directory, id);
  for (const step of PATH[status]) await directory[step](id, ADMIN);
  expect(directory.get(id)?.status).toBe(status);
  return id;
}

function lifecycleRecords(): LifecycleRecord[] {
  const out: LifecycleRecord[] = [];
  for (const entry of ledger.reader.entries(0, ledger.size())) {
    const record = JSON.parse(entry.data.toString("utf8")) as { kind: string };
    if (record.kind === "lifecycle") out.push(record as LifecycleRecord);
  }
  return out;
}

function lastRecord(): LifecycleRecord {
  return lifecycleRecords().at(-1) as LifecycleRecord;
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string; details: Record<string, unknown> },
  );
  expect(err, "expected a refusal").toBeDefined();
  return err as { code: string; message: string; details: Record<string, unknown> };
}

describe("lifecycle transitions", () => {
  for (const [from, row] of Object.entries(TABLE) as [IdentityStatus, Record<Transition, IdentityStatus | null>][]) {
    for (const [transition, to] of Object.entries(row) as [Transition, IdentityStatus | null][]) {
      it(`${transition} from ${from} → ${to ?? "refused (CONFLICT)"}`, async () => {
        const id = await identityIn(from);
        const size = ledger.size();
        if (to === null) {
          const err = await refusal(directory[transition](id, ADMIN));
          expect(err.code).toBe("CONFLICT");
          expect(err.message).toContain(`it is ${from}`);
          expect(directory.get(id)?.status).toBe(from);
          expect(ledger.size()).toBe(size);
          return;
        }
        const after = await directory[transition](id, ADMIN, `because ${transition}`);
        expect(after.status).toBe(to);
        expect(directory.get(id)?.status).toBe(to);
        expect(ledger.size()).toBe(size + 1);
        const event = { suspend: "suspended", reactivate: "reactivated", revoke: "revoked", offboard: "offboarded" }[transition];
        expect(lastRecord()).toMatchObject({ kind: "lifecycle", event, identity: { id, type: "agent", owner: "olivia" }, actor: ADMIN, note: `because ${transition}` });
      });
    }
  }

  it("revoking or offboarding revokes every credential at once", async () => {
    for (const transition of ["revoke", "offboard"] as const) {
      const id = await identityIn("active");
      await directory.issueApiKey(id, ADMIN);
      await directory.issueToken(id, {}, ADMIN);
      await directory[transition](id, ADMIN);
      expect(directory.credentials(id).map((c) => c.status)).toEqual(["revoked", "revoked"]);
    }
  });

  it("refuses credentials for an identity that is not active", async () => {
    for (const status of ["suspended", "revoked", "offboarded"] as const) {
      const id = await identityIn(status);
      expect((await refusal(directory.issueApiKey(id, ADMIN))).code).toBe("CONFLICT");
      expect((await refusal(directory.issueToken(id, {}, ADMIN))).code).toBe("CONFLICT");
    }
  });

  it("refuses a change to an unknown identity with IDENTITY_NOT_FOUND", async () => {
    expect((await refusal(directory.suspend("nobody", ADMIN))).code).toBe("IDENTITY_NOT_FOUND");
    expect((await refusal(directory.issueApiKey("nobody", ADMIN))).code).toBe("IDENTITY_NOT_FOUND");
  });
});

describe("owners", () => {
  async function code(p: Promise<unknown>): Promise<string> {
    return (await refusal(p)).code;
  }

  it("refuses a non-human identity without an owner, with an unknown owner, a non-human owner or an inactive owner", async () => {
    await directory.create({ id: "hugo", type: "human" }, ADMIN);
    await directory.create({ id: "svc-owner", type: "service_account", owner: "hugo" }, ADMIN);
    await directory.create({ id: "sam", type: "human" }, ADMIN);
    await directory.suspend("sam", ADMIN);
    const cases: [string, string | undefined, RegExp][] = [
      ["no owner", undefined, /needs an accountable human owner/],
      ["unknown owner", "ghost", /"ghost" does not exist/],
      ["non-human owner", "svc-owner", /svc-owner is a service_account, not a human/],
      ["suspended owner", "sam", /sam is suspended/],
    ];
    for (const type of ["agent", "service_account", "api_key", "workload", "pipeline"] as const) {
      for (const [what, owner, message] of cases) {
        const err = await refusal(directory.create({ id: `x-${type}`, type, ...(owner !== undefined ? { owner } : {}) }, ADMIN));
        expect(err.code, `${type} with ${what}`).toBe("OWNER_REQUIRED");
        expect(err.message).toMatch(message);
        expect(err.message).toContain("active human identity");
      }
      expect(directory.get(`x-${type}`)).toBeUndefined();
    }
  });

  it("gives a human no owner", async () => {
    const err = await refusal(directory.create({ id: "hannah", type: "human", owner: "hugo" }, ADMIN));
    expect(err.code).toBe("REQUEST_INVALID");
  });

  it("refuses to offboard a human who owns live identities, listing them, until ownership is transferred", async () => {
    await directory.create({ id: "henry", type: "human" }, ADMIN);
    await directory.create({ id: "heidi", type: "human" }, ADMIN);
    await directory.create({ id: "a-live", type: "agent", owner: "henry" }, ADMIN);
    await directory.create({ id: "a-paused", type: "agent", owner: "henry" }, ADMIN);
    await directory.create({ id: "a-gone", type: "agent", owner: "henry" }, ADMIN);
    await directory.suspend("a-paused", ADMIN);
    await directory.revoke("a-gone", ADMIN);
    const err = await refusal(directory.offboard("henry", ADMIN));
    expect(err.code).toBe("CONFLICT");
    expect(err.message).toContain("a-live, a-paused");
    expect(err.message).toContain("--owner");
    expect(err.details.owned).toEqual(["a-live", "a-paused"]);
    expect(directory.get("henry")?.status).toBe("active");

    await directory.update("a-live", { owner: "heidi" }, ADMIN);
    expect(lastRecord()).toMatchObject({ event: "owner_changed", identity: { id: "a-live", owner: "heidi" }, attributes: { previous_owner: "henry" } });
    await directory.update("a-paused", { owner: "heidi" }, ADMIN);
    expect((await directory.offboard("henry", ADMIN)).status).toBe("offboarded");
    expect(directory.get("a-gone")?.owner).toBe("henry");
  });

  it("transfers ownership only to an active human", async () => {
    await directory.create({ id: "ivy", type: "human" }, ADMIN);
    await directory.create({ id: "a-ivy", type: "agent", owner: "ivy" }, ADMIN);
    expect(await code(directory.update("a-ivy", { owner: "ghost" }, ADMIN))).toBe("OWNER_REQUIRED");
    expect(await code(directory.update("a-ivy", { owner: "a-live" }, ADMIN))).toBe("OWNER_REQUIRED");
    expect(directory.get("a-ivy")?.owner).toBe("ivy");
  });
});

describe("create and update", () => {
  it("validates ids, roles and attributes and refuses duplicates", async () => {
    await directory.create({ id: "jo", type: "human", roles: ["admin", "approver", "admin"], groups: ["ops"], attributes: { region: "eu" } }, ADMIN);
    expect(directory.get("jo")).toMatchObject({ roles: ["admin", "approver"], groups: ["ops"], attributes: { region: "eu" }, owner: null, status: "active" });
    const bad: [Parameters<IdentityDirectory["create"]>[0], string][] = [
      [{ id: "has space", type: "human" }, "REQUEST_INVALID"],
      [{ id: "x".repeat(129), type: "human" }, "REQUEST_INVALID"],
      [{ id: "k", type: "human", roles: ["root" as "admin"] }, "REQUEST_INVALID"],
      [{ id: "k", type: "robot" as "human" }, "REQUEST_INVALID"],
      [{ id: "k", type: "human", attributes: { blob: "x".repeat(9000) } }, "REQUEST_INVALID"],
      [{ id: "jo", type: "human" }, "CONFLICT"],
    ];
    for (const [input, expected] of bad) expect((await refusal(directory.create(input, ADMIN))).code, JSON.stringify(input).slice(0, 60)).toBe(expected);
  });

  it("replaces the given fields and keeps the rest", async () => {
    const before = directory.get("jo");
    const after = await directory.update("jo", { groups: ["sre"], display_name: "Jo" }, ADMIN);
    expect(after).toMatchObject({ groups: ["sre"], display_name: "Jo", roles: before?.roles, attributes: before?.attributes });
    expect(directory.get("jo")).toEqual(after);
    expect((await refusal(directory.update("jo", {}, ADMIN))).code).toBe("REQUEST_INVALID");
  });

  it("records creation with the owner and the actor", async () => {
    await agent(directory, "k-bot");
    expect(lastRecord()).toMatchObject({ event: "created", identity: { id: "k-bot", type: "agent", owner: "olivia" }, actor: ADMIN });
  });

  it("lists by type, status, owner and group", () => {
    expect(directory.list({ type: "human", group: "sre" }).map((i) => i.id)).toEqual(["jo"]);
    expect(directory.list({ owner: "heidi" }).map((i) => i.id)).toEqual(["a-live", "a-paused"]);
    expect(directory.list({ status: "offboarded", type: "human" }).map((i) => i.id)).toEqual(["henry"]);
  });
});
