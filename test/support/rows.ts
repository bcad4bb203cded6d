// Surgery on stored ledger rows, the way an attacker with write access to the SQLite file would do it.
import type Database from "better-sqlite3";
import { completedHashCount } from "../../src/store/index.js";

export interface Row {
  data: Buffer;
  hashes: Buffer;
}

export function readRow(db: Database.Database, index: number): Row {
  const body = db.prepare("SELECT body FROM entries WHERE idx = ?").pluck().get(index) as Buffer;
  const split = completedHashCount(index) * 32;
  return { hashes: body.subarray(0, split), data: body.subarray(split) };
}

export function writeRow(db: Database.Database, index: number, row: Row): void {
  db.prepare("INSERT OR REPLACE INTO entries (idx, body) VALUES (?, ?)").run(index, Buffer.concat([row.hashes, row.data]));
}
