// A directory on a fresh data directory with a clock the test moves, plus a human owner to hang identities on.
import type { Store } from "../../src/store/index.js";
import { afterAll } from "vitest";
import { IdentityDirectory, type Actor, type TokenSettings } from "../../src/identity/index.js";
import { freshLedger } from "../support/ledger.js";

export const ADMIN: Actor = { id: "alice", type: "human" };
export const START = new Date("2026-11-25T10:00:00.000Z");

export interface Fixture {
  directory: IdentityDirectory;
  dir: string;
  ledger: ReturnType<typeof freshLedger>["ledger"];
  store: Store;
  issuer: string;
  /** Moves the directory's clock forward. */
  advance: (seconds: number) => Date;
  now: () => Date;
}

export function freshDirectory(tokens: Partial<TokenSettings> = {}): Fixture {
  const opened = freshLedger();
  let clock = START;
  const directory = new IdentityDirectory({
    identities: opened.store.identities,
    ledger: opened.ledger,
    dataDir: opened.dir,
    issuer: opened.config.origin,
    now: () => clock,
    tokens,
  });
  afterAll(() => opened.ledger.close());
  return {
    directory,
    dir: opened.dir,
    ledger: opened.ledger,
    store: opened.store,
    issuer: opened.config.origin,
    advance: (seconds) => {
      clock = new Date(clock.getTime() + seconds * 1000);
      return clock;
    },
    now: () => clock,
  };
}

/** Creates the human `owner` (if missing) and an active agent it owns. */
export async function agent(directory: IdentityDirectory, id: string, owner = "olivia"): Promise<void> {
  if (directory.get(owner) === undefined) await directory.create({ id: owner, type: "human" }, ADMIN);
  await directory.create({ id, type: "agent", owner }, ADMIN);
}
