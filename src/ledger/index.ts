// The enforcement ledger: RFC 6962 Merkle log with C2SP checkpoints, proofs, verify and bundles.
export { Ledger } from "./ledger.js";
export type { AppendOptions, Appended, LedgerOptions, SignedCheckpoint } from "./ledger-types.js";
export {
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  initLedgerDir,
  openLedger,
  type InitOptions,
  type InitResult,
  type OpenLedgerOptions,
  type OpenedLedger,
} from "./open.js";
export { MAX_LEAF_BYTES, verifyLedger, type LedgerProblem, type LedgerVerification, type VerifyOptions } from "./verify.js";
export { verifyInWorker } from "./verify-job.js";
export { PARALLEL_MIN_ENTRIES, verifyLedgerInParallel, type ParallelVerifyOptions } from "./verify-parallel.js";
export { BUNDLE_FORMAT, exportBundle, type BundleManifest, type ExportOptions } from "./bundle.js";
export { verifyBundle, type BundleVerification, type BundleVerifyOptions } from "./bundle-verify.js";
export { openCheckpoint, parseCheckpoint, type Checkpoint } from "./checkpoint.js";
export { generateKeyPair, verifierFromVkey, type NoteVerifier } from "./note.js";
export { parseInclusionProof, verifyInclusionProofText, verifyConsistencyProofText } from "./proof-text.js";
export { leafHash } from "./merkle/index.js";
export { indexFieldsOf } from "./record-index.js";
export { LedgerWatch, type LedgerWatchOptions, type LedgerWatchStatus, type WatchProblem } from "./watch.js";
export { assertNotRolledBack, dataDirCheckpoint, readOutsideCheckpoints, type OutsideCheckpoint } from "./rollback.js";
