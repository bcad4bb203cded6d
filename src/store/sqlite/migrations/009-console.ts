// Schema 9: decisions filtered by the subject's identity type and owner as the decision recorded them (the console's filters).
import type { Migration } from "./migration.js";

/** Trailing zero bits of idx + 1 (ledgers below 2^48 entries): how many parent hashes precede the leaf in entries.body. */
const TRAILING_ZEROS = Array.from({ length: 47 }, (_, k) => `((idx + 1) % ${2 ** (k + 1)} = 0)`).join(" + ");

/** Fills subject_type and subject_owner of every decision from its leaf; exported for the test that compares it with live appends. */
export const SUBJECT_COLUMNS_BACKFILL = `
  UPDATE record_index SET
    subject_type = json_extract(leaf, '$.subject.type'),
    subject_owner = json_extract(leaf, '$.subject.owner')
  FROM (SELECT idx AS entry_idx, CAST(substr(body, 1 + 32 * (1 + ${TRAILING_ZEROS})) AS TEXT) AS leaf FROM entries)
  WHERE record_index.kind = 'decision' AND entry_idx = record_index.idx;`;

/**
 * The columns hold what each decision's leaf says (subject.type, subject.owner), never the identity's
 * state today: an owner changed later must not rewrite who owned the caller then. Existing decisions
 * are filled from their leaves (the leaf follows 32 bytes per stored hash: the leaf hash and the
 * 1 + trailing zeros of idx + 1 parents it completed); `arbiter log verify` checks the columns
 * against the leaves like every other column of record_index. Indexed with the implicit rowid (idx),
 * so a filtered listing reads newest first without a sort.
 */
export const consoleMigration: Migration = {
  version: 9,
  description: "record index: subject type and owner of decisions",
  sql: `
    ALTER TABLE record_index ADD COLUMN subject_type TEXT;
    ALTER TABLE record_index ADD COLUMN subject_owner TEXT;
    ${SUBJECT_COLUMNS_BACKFILL}
    CREATE INDEX record_index_subject_type ON record_index(subject_type) WHERE subject_type IS NOT NULL;
    CREATE INDEX record_index_subject_owner ON record_index(subject_owner) WHERE subject_owner IS NOT NULL;
  `,
};
