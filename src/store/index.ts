// Persistence behind one interface: the Store bundle and its repositories' contracts, the data
// directory around it, and the embedded SQLite store. The SQLite classes and openDatabase are here for
// the store's own tests; no other room may use them (test/architecture.test.ts).
export type {
  EntryWrite,
  IndexWrite,
  LedgerReader,
  LimitCounter,
  LimitCounterChange,
  LimitCounterTable,
  LedgerStore,
  LedgerWriter,
  RawValueRow,
  RawValueSelector,
  RecordIndexFields,
  ActionCount,
  RecordCount,
  RecordFilter,
  RecordLocation,
  RecordQuery,
  StoredCheckpoint,
  StoredEntry,
  StoredIndexRow,
  SubtreeAddress,
  TimeBucket,
} from "./types.js";
export { TIME_BUCKET_CHARS } from "./types.js";
export {
  DATA_FILES,
  DATA_FORMAT,
  createDataDir,
  inspectDataDir,
  loadBindingKey,
  readConfig,
  readPublicFile,
  readSecretFile,
  resolveDataDir,
  writeFileAtomic,
  writePublicFile,
  writeSecretFile,
  type DataDirConfig,
  type DataDirState,
} from "./data-dir.js";
export { openDatabase, type SqliteDatabase } from "./sqlite/database.js";
export { storageUnavailable } from "./failure.js";
export { workerModuleUrl } from "./worker-module.js";
export type { Migration } from "./sqlite/migrations.js";
export type { CheckpointerOptions } from "./sqlite/checkpointer.js";
export { SqliteLedgerStore } from "./sqlite/ledger-store.js";
export { completedHashCount } from "./sqlite/entry-layout.js";
export { INDEX_ROW_COLUMNS } from "./sqlite/index-scan.js";
export { ChangeBoundCache, ChangeCounter, changeCounterOf } from "./sqlite/change-counter.js";
export { SqliteLimitCounters } from "./sqlite/limit-counters.js";
export { SqliteNotifyOutbox } from "./sqlite/notify-outbox.js";
export type { NotifyOutboxRepository, OutboxDelivery, OutboxEntry } from "./contracts/notify-outbox.js";
export type { StreamPositionRepository } from "./contracts/stream-positions.js";
export type { Store, StoreLocation } from "./contracts/store.js";
export { SqliteStore } from "./sqlite/store.js";
export { createStoreAt, initStore, openStore, openStoreReader, storeLocation, type StoreOptions } from "./open-store.js";
export { DEFAULT_PG_SCHEMA, postgresStoreSetting, redactUrl, type PostgresStoreSetting } from "./postgres/location.js";
export type { CallBinding } from "./contracts/call-binding.js";
export type { StoreEffect } from "./contracts/effects.js";
export type { Grant, GrantFilter, GrantRepository, GrantState, NewGrant } from "./contracts/grants.js";
export type { ApprovalFilter, ApprovalRepository, ApprovalRequest, ApprovalState, NewApprovalRequest } from "./contracts/approvals.js";
export type { BreakGlassFilter, BreakGlassRepository, BreakGlassSession, NewBreakGlassSession } from "./contracts/break-glass.js";
export type { PolicyActivation, PolicyRepository, StoredActivation, StoredPolicyVersion } from "./contracts/policies.js";
export type {
  AssertionScope,
  CredentialInfo,
  CredentialKind,
  CredentialRow,
  CredentialStatus,
  CredentialWithHolder,
  Holder,
  Identity,
  IdentityEffect,
  IdentityFilter,
  IdentityRepository,
  IdentityStatus,
  NewCredential,
  TaskRow,
} from "./contracts/identities.js";
export {
  DECISION_KEY_COLUMNS,
  type DecisionDetail,
  type DecisionKeyRow,
  type DecisionKeysMark,
  type FindingRow,
  type JoinKeyRow,
  type LinkageRepository,
  type NewRun,
  type RecordRow,
  type RunRow,
  type RunRows,
  type SkippedRow,
  type TraceRow,
} from "./contracts/linkage.js";
