// Tables of approvals, grants, break-glass sessions, limit counters, the notify outbox, stream positions, in PostgreSQL's dialect.
export const DECIDE_TABLES: readonly string[] = [];
