// One step of the embedded store's schema; PRAGMA user_version counts the steps applied.

export interface Migration {
  version: number;
  description: string;
  sql: string;
}
