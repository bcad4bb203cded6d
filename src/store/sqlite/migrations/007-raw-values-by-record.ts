// Schema 7: raw values keyed by the record and field they belong to, not by their commitment.
import type { Migration } from "./migration.js";

/**
 * Schema 1 made the salted commitment the primary key of raw_values. Commitments are random, so
 * every decision with arguments inserted into a random leaf of that index, one more page per
 * commit and, once the index outgrows memory, a read from disk per decision; nothing looks a raw
 * value up by its commitment (reads and erasure go by record or by subject). A record commits a
 * field once (prepareRecord refuses a second), so (record_id, field) is unique, and record ids
 * grow with time: new rows land at the end of the index.
 */
export const rawValuesByRecordMigration: Migration = {
  version: 7,
  description: "raw values keyed by record and field",
  sql: `
    CREATE TABLE raw_values_by_record (
      record_id TEXT NOT NULL,
      field TEXT NOT NULL,
      commitment TEXT NOT NULL,
      subject_id TEXT,
      salt TEXT NOT NULL,
      value TEXT NOT NULL,
      UNIQUE (record_id, field)
    ) STRICT;
    INSERT INTO raw_values_by_record (record_id, field, commitment, subject_id, salt, value)
      SELECT record_id, field, commitment, subject_id, salt, value FROM raw_values ORDER BY record_id, field;
    DROP TABLE raw_values;
    ALTER TABLE raw_values_by_record RENAME TO raw_values;
    CREATE INDEX raw_values_subject ON raw_values(subject_id);
  `,
};
