// Nothing acknowledged is lost: SIGKILL an appending process under load, many times.
import Database from "better-sqlite3";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { arbiter, spawnArbiter, tempDir } from "../support/cli.js";
import { eventLine } from "../support/ledger.js";
import { readRow } from "../support/rows.js";

const ROUNDS = 15;

interface Round {
  acknowledged: number[];
  tag: string;
}

/** Streams lines into `arbiter log append -` until killed at a random moment; returns what it acknowledged. */
async function appendUntilKilled(data: string, round: number): Promise<Round> {
  const child = spawnArbiter(["log", "append", "-", "--data", data]);
  const acknowledged: number[] = [];
  let buffered = "";
  child.stdout.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) acknowledged.push(Number(line));
  });
  child.stdin.on("error", () => undefined);
  let seq = 0;
  let writing = true;
  const feed = (): void => {
    while (writing) {
      const chunk = Array.from({ length: 200 }, () => JSON.stringify(eventLine(seq, { resource: { id: `r${round}-${seq++}` } }))).join("\n") + "\n";
      if (!child.stdin.write(chunk)) {
        child.stdin.once("drain", feed);
        return;
      }
    }
  };
  feed();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // Wait until the process is appending, then kill it somewhere in the middle of its work.
  while (acknowledged.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(Math.random() * 200)));
  child.kill("SIGKILL");
  writing = false;
  await exited;
  return { acknowledged, tag: `r${round}-` };
}

describe("durability under SIGKILL", () => {
  it(`keeps every acknowledged entry across ${ROUNDS} kills, and verify passes after each`, { timeout: 240_000 }, async () => {
    const data = join(tempDir(), "data");
    expect(arbiter(["init", "--data", data]).status).toBe(0);
    let total = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const { acknowledged, tag } = await appendUntilKilled(data, round);
      expect(acknowledged.length).toBeGreaterThan(0);
      total += acknowledged.length;

      const verify = arbiter(["log", "verify", "--json", "--data", data]);
      expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });

      const db = new Database(join(data, "arbiter.db"), { readonly: true });
      const stored = db.prepare("SELECT max(idx) + 1 FROM entries").pluck().get() as number;
      acknowledged.forEach((index, k) => {
        expect(index, `acknowledged index ${index} is missing after round ${round}`).toBeLessThan(stored);
        // The k-th acknowledgement is for the k-th line this round wrote.
        expect(JSON.parse(readRow(db, index).data.toString("utf8"))).toMatchObject({ resource: { id: `${tag}${k}` } });
      });
      db.close();
    }
    expect(total).toBeGreaterThan(ROUNDS);
  });
});
