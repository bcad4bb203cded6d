// One step of the PostgreSQL schema: the statements that bring a store from version-1 to version.
export interface PostgresMigration {
  version: number;
  /** DDL in PostgreSQL's dialect, one statement per string; applied inside one transaction. */
  statements: readonly string[];
}
