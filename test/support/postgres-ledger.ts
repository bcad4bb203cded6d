// A Ledger on the PostgreSQL ledger store in a fresh schema, built as openLedger builds one on SQLite
// (keys of its own instead of a data directory's files), for tests of the PostgreSQL store.
import { randomBytes } from "node:crypto";
import { ArbiterError } from "../../src/record/errors.js";
import { Ledger, generateKeyPair, verifierFromVkey, type LedgerOptions } from "../../src/ledger/index.js";
import { signerFromSkey } from "../../src/ledger/note.js";
import type { StoreEffect } from "../../src/store/index.js";
import type { PgConnection } from "../../src/store/postgres/connection.js";
import { PgLedgerStore } from "../../src/store/postgres/ledger-store.js";
import { PostgresStore } from "../../src/store/postgres/store.js";
import { freshPgConnection, freshPgLocation } from "./postgres.js";

export interface PgLedgerOptions extends Partial<Omit<LedgerOptions, "signer" | "verifier" | "vkey" | "redactionKey">> {
  /** The store's effects dispatcher; by default eraseEffectsOnly. */
  applyEffects?: (effects: readonly StoreEffect[]) => void;
  /** An existing connection (a second process on the same schema, say) instead of a fresh schema. */
  conn?: PgConnection;
  /** The signing and verifier keys (a second process of the same log), else a new pair. */
  keys?: { skey: string; vkey: string };
}

export interface PgLedger {
  ledger: Ledger;
  store: PgLedgerStore;
  conn: PgConnection;
  keys: { skey: string; vkey: string };
  /** Closes the ledger (signing a last checkpoint if it grew), its store and connection. */
  close: () => Promise<void>;
}

/**
 * The one effect the ledger itself commits (Ledger.erase), applied as the store's dispatcher applies
 * it: CONFLICT unless exactly the counted values were deleted. Other effects are refused.
 */
export function eraseEffectsOnly(store: () => PgLedgerStore): (effects: readonly StoreEffect[]) => void {
  return (effects) => {
    for (const effect of effects) {
      if (effect.type !== "raw_values.erase") throw new Error(`this test store applies raw_values.erase only, not ${effect.type}`);
      if (store().eraseRawValues(effect.selector) !== effect.expected) {
        throw new ArbiterError("CONFLICT", `raw values were recorded for ${JSON.stringify(effect.selector)} during the erasure; run it again`);
      }
    }
  };
}

export function freshPgLedger(options: PgLedgerOptions = {}, origin = "test.arbiter.example/log"): PgLedger {
  const { applyEffects, conn: given, keys: givenKeys, ...ledgerOptions } = options;
  const conn = given ?? freshPgConnection();
  const store: PgLedgerStore = new PgLedgerStore(conn, { applyEffects: applyEffects ?? eraseEffectsOnly(() => store) });
  return ledgerOn(store, conn, givenKeys, ledgerOptions, origin);
}

/** A whole PostgresStore (every repository, the store's own effects dispatcher) in a fresh schema, and a Ledger on it. */
export function freshPgStore(options: Omit<PgLedgerOptions, "applyEffects" | "conn"> = {}, origin = "test.arbiter.example/log"): PgLedger & { bundle: PostgresStore } {
  const { keys, ...ledgerOptions } = options;
  const bundle = PostgresStore.open(freshPgLocation(), { create: true });
  return { bundle, ...ledgerOn(bundle.ledger, bundle.connection, keys, ledgerOptions, origin) };
}

function ledgerOn(store: PgLedgerStore, conn: PgConnection, givenKeys: PgLedgerOptions["keys"], ledgerOptions: Partial<LedgerOptions>, origin: string): PgLedger {
  const keys = givenKeys ?? generateKeyPair(origin);
  const { skey, vkey } = keys;
  const redactionKey = randomBytes(32);
  const ledger = new Ledger(store, {
    origin,
    signer: signerFromSkey(skey),
    verifier: verifierFromVkey(vkey),
    vkey,
    checkpointIntervalMs: 0,
    groupCommit: true,
    redactionKey: () => redactionKey,
    ...ledgerOptions,
  });
  return { ledger, store, conn, keys, close: () => ledger.close() };
}
