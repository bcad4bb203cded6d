// Tables of identities, credentials, delegation, tasks, assertion scopes; policies, in PostgreSQL's dialect.
export const IDENTITY_TABLES: readonly string[] = [];
