// The enforcement ledger: appends (durable, group-committed: group-commit.ts), the tree edge, signed checkpoints and proofs.
import { Listeners, prepareBuilt, prepareRecord, redactPrepared, redactText, type PreparedRecord, type RecordInput } from "../record/index.js";
import { ArbiterError } from "../record/errors.js";
import type { EntryWrite, LedgerStore, RawValueSelector, StoredCheckpoint } from "../store/index.js";
import { signCheckpoint } from "./checkpoint.js";
import { type CompactRange, consistencyProof, inclusionProof, leafHash, treeHash } from "./merkle/index.js";
import type { NoteSigner, NoteVerifier } from "./note.js";
import type { AppendItem, AppendOptions, Appended, LedgerOptions, SignedCheckpoint } from "./ledger-types.js";
import { assertExtends, loadEdge } from "./tree-extends.js";
import { GroupCommit } from "./group-commit.js";
import { formatConsistencyProof, formatInclusionProof } from "./proof-text.js";
import { indexFieldsOf } from "./record-index.js";
import { RecordIndexer } from "./record-indexer.js";
import { eraseRawValues } from "./erase.js";
import { haltedError, unavailable } from "./ledger-errors.js";

const DEFAULT_MAX_BATCH = 8192;

export class Ledger {
  readonly origin: string;
  readonly verifier: NoteVerifier;
  readonly vkey: string;
  private readonly store: LedgerStore;
  private readonly signer: NoteSigner;
  private readonly groupCommit: boolean;
  private readonly appends: GroupCommit<AppendItem>;
  private readonly indexer: RecordIndexer;
  private readonly now: () => Date;
  private readonly onCheckpoint: ((cp: SignedCheckpoint) => void) | undefined;
  private readonly loadRedactionKey: () => Buffer;
  private readonly appended = new Listeners<number>();
  private key: Buffer | undefined;
  private edge: CompactRange | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private halted: string | undefined;

  constructor(store: LedgerStore, options: LedgerOptions) {
    this.store = store;
    this.origin = options.origin;
    this.signer = options.signer;
    this.verifier = options.verifier;
    this.vkey = options.vkey;
    this.groupCommit = options.groupCommit ?? true;
    this.appends = new GroupCommit<AppendItem>({
      store,
      commit: (batch) => this.commit(batch),
      enabled: this.groupCommit,
      maxBatch: options.maxBatch ?? DEFAULT_MAX_BATCH,
      failure: unavailable,
    });
    this.indexer = new RecordIndexer(store);
    this.indexer.catchUpNow();
    this.now = options.now ?? (() => new Date());
    this.onCheckpoint = options.onCheckpoint;
    this.loadRedactionKey = options.redactionKey;
    if (options.checkpointIntervalMs > 0) {
      this.timer = setInterval(() => this.checkpointIfGrown(), options.checkpointIntervalMs);
      this.timer.unref();
    }
  }

  /** The store behind the ledger, for read-only queries by other capabilities; every acknowledged append is in its index. */
  get reader(): LedgerStore {
    return this.store;
  }

  size(): number {
    return this.store.size();
  }

  /**
   * Calls `listener` after each append of this process is acknowledged (durable), with the ledger size
   * it proved durable (its index + 1); synchronous, and other processes' appends are not told.
   */
  onAppended(listener: (durableSize: number) => void): () => void {
    return this.appended.add(listener);
  }

  private get redactionKey(): Buffer {
    return (this.key ??= this.loadRedactionKey());
  }

  /** Validates, commits, redacts and appends one record; resolves once it is durable, with its index. */
  append(input: unknown, options: AppendOptions = {}): Promise<Appended> {
    let prepared: PreparedRecord;
    try {
      prepared = prepareRecord(input, { now: this.now(), redactionKey: this.redactionKey });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.submit(prepared, options);
  }

  /**
   * append for a record built by Arbiter's own typed builders (a decision, an enforcement report):
   * the same, without parsing it against the schema again (record/prepare.ts, prepareBuilt).
   */
  appendBuilt(record: RecordInput, options: AppendOptions = {}): Promise<Appended> {
    let prepared: PreparedRecord;
    try {
      prepared = prepareBuilt(record, { now: this.now(), redactionKey: this.redactionKey });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.submit(prepared, options);
  }

  /**
   * `text` as the ledger would hold it in a free-text field: each secret the detectors find replaced
   * by its keyed marker. For tables beside the ledger (approvals, grants, break-glass sessions) that
   * keep a field a record also holds, and for searching the index by a value as it was sent.
   */
  redactText(text: string): string {
    return redactText(text, this.redactionKey, true);
  }

  /** Appends a record prepared by the caller, redacted here as append redacts (its leaf re-encoded when anything was found). */
  appendPrepared(prepared: PreparedRecord, options: AppendOptions = {}): Promise<Appended> {
    let redacted: PreparedRecord;
    try {
      redacted = redactPrepared(prepared, this.redactionKey);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.submit(redacted, options);
  }

  /**
   * Refuses every append and checkpoint from now on: the log was found tampered with (or its file
   * deleted or replaced) while open, and as at start (rollback.ts) nothing is built or signed on it.
   */
  halt(reason: string): void {
    this.halted ??= reason;
  }

  private submit(prepared: PreparedRecord, options: AppendOptions): Promise<Appended> {
    if (this.closed) {
      return Promise.reject(new ArbiterError("LEDGER_UNAVAILABLE", "the ledger is closed"));
    }
    if (this.halted !== undefined) return Promise.reject(haltedError(this.halted));
    const id = prepared.record.id;
    return this.appends.submit({ prepared, effects: options.effects?.length ? options.effects : undefined }, options.deferred ?? false).then((index) => {
      // A follower's failure is its own: it never turns an acknowledged append into a rejected one.
      this.appended.emit(index + 1);
      return { index, id };
    });
  }

  /** One transaction (durable at once when group commit is off); returns the index of the first entry. */
  private commit(batch: readonly AppendItem[]): number {
    let edge: CompactRange | undefined;
    let start = 0;
    try {
      this.store.write((writer) => {
        this.indexer.catchUp(writer);
        start = writer.size();
        // Another process may have appended since our last commit: reload the right edge then.
        edge = this.edge?.size === start ? this.edge.clone() : loadEdge(this, writer, start);
        const writes: EntryWrite[] = batch.map(({ prepared, effects }) => {
          const completed = (edge as CompactRange).append(leafHash(prepared.bytes));
          const { record } = prepared;
          const fields = indexFieldsOf(record);
          // One literal of a fixed shape per entry (no spread): this runs for every append.
          return {
            recordId: record.id, kind: record.kind, time: record.time, fields, data: prepared.bytes, hashes: Buffer.concat(completed),
            raw: prepared.raw.map((raw) => ({
              commitment: raw.commitment,
              recordId: record.id,
              subjectId: fields.subjectId,
              field: raw.field,
              salt: raw.salt,
              value: JSON.stringify(raw.value),
            })),
            effects,
          } satisfies EntryWrite;
        });
        // The query-table rows go in the same transaction (see RecordIndexer): an acknowledged append is indexed.
        writer.insertEntries(start, writes);
      }, { durable: !this.groupCommit });
    } catch (err) {
      this.edge = undefined;
      throw err;
    }
    this.edge = edge;
    return start;
  }

  /** Waits for every queued append to be durable. */
  async drain(): Promise<void> {
    while (this.appends.busy) {
      this.appends.hurry();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  latestCheckpoint(): SignedCheckpoint | undefined {
    const stored = this.store.latestCheckpoint();
    return stored && this.toSigned(stored);
  }

  /**
   * Signs a checkpoint of the whole ledger if it grew since the last one, else returns the last.
   * Refuses (INCONSISTENT_CHECKPOINT) to sign a tree that does not extend the last signed tree.
   */
  checkpoint(): SignedCheckpoint {
    if (this.halted !== undefined) throw haltedError(this.halted);
    // Durable at once: a checkpoint may be published as soon as this returns.
    const stored = this.store.write((writer) => {
      const size = writer.size();
      const last = writer.latestCheckpoint();
      if (last && last.size === size) return last;
      if (last && last.size > size) {
        throw new ArbiterError(
          "INCONSISTENT_CHECKPOINT",
          `the ledger holds ${size} entries but a checkpoint of size ${last.size} was signed: entries were removed`,
          { index: size },
        );
      }
      const root = treeHash(size, (a) => writer.readHashes(a));
      if (last) assertExtends(this, writer, last, size, root, "INCONSISTENT_CHECKPOINT");
      const note = signCheckpoint({ origin: this.origin, size, root, extensions: [] }, this.signer);
      const signed: StoredCheckpoint = { size, root, note, signedAt: this.now().toISOString() };
      writer.insertCheckpoint(signed);
      return signed;
    }, { durable: true });
    const signed = this.toSigned(stored);
    this.onCheckpoint?.(signed);
    return signed;
  }

  private checkpointIfGrown(): void {
    const last = this.store.latestCheckpoint();
    if (this.store.size() === (last?.size ?? 0)) return;
    try {
      this.checkpoint();
    } catch {
      // The next explicit checkpoint or `arbiter log verify` reports the cause; a timer has no caller.
    }
  }

  private toSigned(stored: StoredCheckpoint): SignedCheckpoint {
    return { origin: this.origin, size: stored.size, root: stored.root, note: stored.note, signedAt: stored.signedAt };
  }

  /** A checkpoint that covers `index`, signing a new one on demand. */
  private checkpointCovering(index: number): SignedCheckpoint {
    const latest = this.latestCheckpoint();
    return latest && latest.size > index ? latest : this.checkpoint();
  }

  entry(index: number): Buffer {
    const data = this.store.entry(index);
    if (!data) {
      throw new ArbiterError("INDEX_OUT_OF_RANGE", `entry ${index} does not exist (the ledger holds ${this.size()} entries)`, { index });
    }
    return data;
  }

  /** c2sp.org/tlog-proof@v1 text for entry `index` against the latest checkpoint. */
  proveInclusion(index: number): string {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size()) {
      throw new ArbiterError("INDEX_OUT_OF_RANGE", `entry ${index} does not exist (the ledger holds ${this.size()} entries)`, { index });
    }
    const cp = this.checkpointCovering(index);
    const proof = inclusionProof(index, cp.size, (a) => this.store.readHashes(a));
    return formatInclusionProof(index, proof, cp.note);
  }

  /** "old N", hashes, blank line, checkpoint: the proof that the latest tree extends size `oldSize`. */
  proveConsistency(oldSize: number): string {
    const cp = this.checkpoint();
    if (!Number.isSafeInteger(oldSize) || oldSize < 1 || oldSize > cp.size) {
      throw new ArbiterError("INDEX_OUT_OF_RANGE", `old size must be between 1 and ${cp.size}`, { oldSize });
    }
    const proof = consistencyProof(oldSize, cp.size, (a) => this.store.readHashes(a));
    return formatConsistencyProof(oldSize, proof, cp.note);
  }

  /** Erases the raw values of a subject or a record and appends the erasure's record in the same commit (erase.ts). */
  erase(selector: RawValueSelector, recordOf: (erased: number) => unknown): Promise<Appended & { erased: number }> {
    return eraseRawValues(this.store, (input, options) => this.append(input, options), selector, recordOf);
  }

  /** Flushes queued appends, signs a final checkpoint if the ledger grew, and releases the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.drain();
    this.indexer.catchUpNow();
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.checkpointIfGrown();
    this.store.close();
  }
}
