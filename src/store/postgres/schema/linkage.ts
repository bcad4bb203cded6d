// Tables of linkage runs and their rows, in PostgreSQL's dialect.
export const LINKAGE_TABLES: readonly string[] = [];
