// What the main thread and the PostgreSQL worker thread say to each other (structured clones).

/** One SQL statement with $1… parameters. */
export interface PgStatement {
  text: string;
  values?: readonly unknown[];
}

export type PgRequest =
  | { op: "open"; url: string; schema: string; createSchema: boolean }
  /** Runs the statements in order on one connection, in one call; stops at the first that fails. */
  | { op: "batch"; id: number; statements: readonly PgStatement[] }
  | { op: "close"; id: number };

export type PgResponse =
  | { ok: true; id?: number; results?: unknown[][] }
  | { ok: false; code: string; message: string; constraint?: string };
