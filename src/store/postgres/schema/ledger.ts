// Tables of the ledger (entries, tree hashes, raw values, checkpoints, record_index, record_policies), in PostgreSQL's dialect.
export const LEDGER_TABLES: readonly string[] = [];
