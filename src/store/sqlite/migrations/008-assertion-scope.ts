// Schema 8: what each enforcement point may assert about the callers it names by id.
import type { Migration } from "./migration.js";

/**
 * NULL asserts nothing. Existing PEPs get NULL too: a PEP that asserted subjects before is refused
 * (ASSERTION_OUT_OF_SCOPE, recorded) until an operator grants it a scope with
 * `arbiter identity update ID --assert-type …`, a change the ledger records. Widening by default
 * would keep the hole open silently; narrowing is the change an operator has to make on purpose.
 */
export const assertionScopeMigration: Migration = {
  version: 8,
  description: "assertion scopes of enforcement points",
  sql: `ALTER TABLE identities ADD COLUMN assertion_scope TEXT;`,
};
