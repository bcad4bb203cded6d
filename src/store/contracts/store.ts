// The store bundle: every repository a runtime needs, handed out by one store implementation.
import type { PostgresLocation } from "../postgres/connection.js";
import type { LedgerStore, LimitCounterTable } from "../types.js";
import type { ApprovalRepository } from "./approvals.js";
import type { BreakGlassRepository } from "./break-glass.js";
import type { GrantRepository } from "./grants.js";
import type { IdentityRepository } from "./identities.js";
import type { LinkageRepository } from "./linkage.js";
import type { NotifyOutboxRepository } from "./notify-outbox.js";
import type { PolicyRepository } from "./policies.js";
import type { StreamPositionRepository } from "./stream-positions.js";

/**
 * Where a store lives, as plain data: what a worker thread receives (a structured clone) to open a
 * read-only view of the same store of its own with openStoreReader (the parallel verify's threads,
 * the ledger watch). One variant per implementation.
 */
export type StoreLocation = { engine: "sqlite"; path: string } | PostgresLocation;

/**
 * One store, opened once per process on a data directory, and every repository on it. Each
 * repository shares the ledger's transaction: a StoreEffect an append carries is applied inside the
 * transaction that inserts its entry, whichever repository reads the row afterwards.
 *
 * Synchronous by design (values, not promises), because they sit on the decision path or run inside
 * one: the ledger's write (one transaction per group-commit batch, see LedgerStore.write) and its
 * reads, GrantRepository.usableFor, ApprovalRepository.latestFor, BreakGlassRepository.activeFor,
 * PolicyRepository.activeVersion, IdentityRepository.credentialWithHolder, holder and
 * changeVersion (every authentication), LimitCounterTable.update (every rate-limited decision) and
 * LinkageRepository's load (no await and no object per row in the join). An await there would add a
 * promise per decision and let two decisions interleave between a read and the write it decides.
 * The PostgreSQL store (store/postgres/) keeps these calls synchronous with a connection that blocks
 * until a worker thread's asynchronous driver answers (postgres/connection.ts): every read goes to
 * the server, so a change committed by another replica is seen on the next call, and a write's
 * check and change are one conditional statement, so two replicas never both take the last use of
 * a grant or the last token of a limit. The notify outbox and stream positions are synchronous too:
 * they are small, leased or monotonic rows read off the decision path.
 *
 * Closing: the store closes with its ledger store (Ledger.close closes `ledger`, and with it the
 * connection every repository here uses); no repository may be used after that.
 */
export interface Store {
  readonly location: StoreLocation;
  readonly ledger: LedgerStore;
  readonly identities: IdentityRepository;
  readonly policies: PolicyRepository;
  readonly approvals: ApprovalRepository;
  readonly grants: GrantRepository;
  readonly breakGlass: BreakGlassRepository;
  readonly linkage: LinkageRepository;
  readonly limitCounters: LimitCounterTable;
  readonly notifyOutbox: NotifyOutboxRepository;
  readonly streamPositions: StreamPositionRepository;
}
