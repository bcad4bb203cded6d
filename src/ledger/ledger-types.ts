// What the ledger is opened with and what its appends and checkpoints give back.
import type { PreparedRecord } from "../record/index.js";
import type { StoreEffect } from "../store/index.js";
import type { NoteSigner, NoteVerifier } from "./note.js";

export interface LedgerOptions {
  origin: string;
  signer: NoteSigner;
  verifier: NoteVerifier;
  /** The verifier key in its C2SP text form, published beside checkpoints. */
  vkey: string;
  /** Sign a checkpoint at most this often while entries arrive; 0 turns the timer off. */
  checkpointIntervalMs: number;
  /** Group concurrent appends into one transaction (default). Off: one fsync'd transaction per record. */
  groupCommit?: boolean;
  /** Largest batch one transaction takes; bounds the latency of the first append in it. */
  maxBatch?: number;
  now?: () => Date;
  /** Called with every checkpoint checkpoint() returns, once it is durable in the store (to keep a copy outside it). */
  onCheckpoint?: (cp: SignedCheckpoint) => void;
  /**
   * The key of redaction markers (the data directory's binding key), read at the first append: every
   * record is redacted with it before its leaf is encoded, whichever way it is appended.
   */
  redactionKey: () => Buffer;
}

export interface Appended {
  index: number;
  id: string;
}

export interface SignedCheckpoint {
  origin: string;
  size: number;
  root: Buffer;
  note: string;
  signedAt: string;
}

/** Options of one append. */
export interface AppendOptions {
  /**
   * State changes of the tables beside the ledger that commit atomically with this record, as data
   * the store applies inside its transaction (StoreEffect, see EntryWrite.effects). One that throws
   * refuses this record and nothing of it is stored.
   */
  effects?: readonly StoreEffect[];
  /**
   * Nobody waits on this record to act (an MCP call's enforcement result, written after the answer):
   * it joins the next append's transaction and fsync instead of costing one of its own, or is
   * committed alone a few milliseconds later. Its promise still resolves only once it is durable.
   */
  deferred?: boolean;
}

/** What one append commits: the prepared record and the state change that goes with it. */
export interface AppendItem {
  prepared: PreparedRecord;
  effects: readonly StoreEffect[] | undefined;
}
