// Statements that must hold together (a lock and the writes it guards) in one transaction and one
// round trip: the caller's transaction when one is open, else a BEGIN … COMMIT around them in the same batch.
import type { PgConnection, PgStatement } from "./connection.js";

/** The rows of each of `statements`, run in one transaction; nothing of them stays when one is refused. */
export function inOneTransaction(conn: PgConnection, statements: readonly PgStatement[]): unknown[][] {
  if (conn.inTransaction) return conn.batch(statements);
  try {
    return conn.batch([{ text: "BEGIN" }, ...statements, { text: "COMMIT" }]).slice(1, -1);
  } catch (err) {
    // The batch stopped at the refused statement, leaving its transaction open and aborted.
    try {
      conn.batch([{ text: "ROLLBACK" }]);
    } catch {
      // The connection is gone: the server rolled the transaction back with it.
    }
    throw err;
  }
}
