// Bad input: truncated files, wrong formats, mixed encodings, clock skew and duplicates; clear per-line errors, the rest processed.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { accessLine, FIXTURES, makeWorld, plus, type World } from "./world.js";
import { readFileSync } from "node:fs";

let world: World;
let decisionId = "";
let decidedAt = "";

beforeAll(async () => {
  world = await makeWorld();
  const d = await world.decide({ as: "support-agent", action: "GET /v1/orders", resource: { type: "Order", id: "o-1" } });
  decisionId = d.decision_id;
  decidedAt = d.time;
});

const good = (i: number) => JSON.stringify(accessLine({ time: plus(decidedAt, 1), subject: "support-agent", action: "GET /v1/orders", resource: "o-1", decision: decisionId, id: `evt-${i}` }));

describe("bad input", () => {
  it("reports a truncated last line of JSON lines and links the complete ones", async () => {
    const path = join(world.files, "cut.jsonl");
    writeFileSync(path, `${good(1)}\n${good(2)}\n${good(3).slice(0, 40)}`);
    const summary = await world.link(path, "jsonl");
    expect(summary).toMatchObject({ items: 3, events: 2, linked: 2, skipped: { truncated: 1 } });
    const skipped = world.linkage.report(summary.run_id).skipped;
    expect(skipped.map((k) => [k.file, k.line, k.reason])).toEqual([["cut.jsonl", 3, "truncated"]]);
    expect(skipped[0]?.message).toMatch(/^line 3 is cut off at the end of the file/);
  });

  it("reads what a cut-off gzip file holds and says it was cut", async () => {
    const path = join(world.files, "cut.jsonl.gz");
    const full = gzipSync(Array.from({ length: 200 }, (_, i) => good(i)).join("\n") + "\n");
    writeFileSync(path, full.subarray(0, Math.floor(full.length * 0.6)));
    const summary = await world.link(path, "jsonl");
    expect(summary.linked).toBeGreaterThan(0);
    expect(summary.linked).toBeLessThan(200);
    expect(summary.files[0]?.problems[0]).toMatch(/gzip stream ended early/);
  });

  it("salvages the complete records of a truncated CloudTrail document", async () => {
    const text = readFileSync(join(FIXTURES, "cloudtrail", "111122223333_CloudTrail_us-east-1_20261124T1000Z_sample.json"), "utf8");
    const path = join(world.files, "trail-cut.json");
    writeFileSync(path, text.slice(0, text.indexOf('"eventName":"CreateAccessKey"')));
    const summary = await world.link(path, "cloudtrail");
    expect(summary).toMatchObject({ items: 3, events: 2, skipped: { truncated: 1 } });
    expect(world.linkage.report(summary.run_id).skipped[0]).toMatchObject({ line: 3, message: "record 3 is cut off at the end of the file (truncated file)" });
  });

  it("says which lines are in the wrong format, and that nothing matched the format given", async () => {
    const summary = await world.link(join(FIXTURES, "k8s", "audit.jsonl"), "cloudtrail");
    expect(summary).toMatchObject({ events: 0, skipped: { wrong_format: 5 } });
    expect(world.linkage.report(summary.run_id).skipped[0]?.message).toMatch(/no eventName\/eventSource: not a CloudTrail record/);
  });

  it("reports lines in another encoding mixed into UTF-8, and reads a UTF-16 file whole", async () => {
    const latin1 = Buffer.from(`${JSON.stringify(accessLine({ time: decidedAt, subject: "support-agent", action: "GET /v1/orders", resource: "o-1" })).replace("o-1", "o-1-\u00e9")}\n`, "latin1");
    const path = join(world.files, "mixed.jsonl");
    writeFileSync(path, Buffer.concat([Buffer.from(`${good(1)}\n`), latin1, Buffer.from(`${good(2)}\n`)]));
    const summary = await world.link(path, "jsonl");
    expect(summary).toMatchObject({ events: 2, linked: 2, skipped: { invalid_encoding: 1 } });
    expect(world.linkage.report(summary.run_id).skipped[0]).toMatchObject({ line: 2, reason: "invalid_encoding", message: "line 2 is not UTF-8 (another encoding mixed into the file)" });

    const utf16 = join(world.files, "utf16.jsonl");
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${good(1)}\r\n${good(2)}\r\n`, "utf16le")]));
    const wide = await world.link(utf16, "jsonl");
    expect(wide).toMatchObject({ events: 2, linked: 2, skipped_total: 0, files: [{ encoding: "utf-16le", problems: ["decoded as UTF-16LE"] }] });
  });

  it("counts duplicate events once and names the line of the first", async () => {
    const path = world.write("dupes.jsonl", [good(1), good(2), good(1), good(1)]);
    const summary = await world.link(path, "jsonl");
    expect(summary).toMatchObject({ items: 4, events: 2, duplicates: 2, skipped: { duplicate: 2 } });
    expect(world.linkage.report(summary.run_id).skipped.map((s) => s.message)).toEqual(["line 3 repeats event evt-1 first read at line 1", "line 4 repeats event evt-1 first read at line 1"]);
  });

  it("tolerates clock skew: a decision stamped just after the event still explains it, a far one does not", async () => {
    const lines = [
      accessLine({ time: plus(decidedAt, -3), subject: "support-agent", action: "GET /v1/orders", resource: "o-1", id: "skewed" }),
      accessLine({ time: plus(decidedAt, -30), subject: "support-agent", action: "GET /v1/orders", resource: "o-1", id: "too-early" }),
      accessLine({ time: "2099-01-01T00:00:00Z", subject: "support-agent", action: "GET /v1/orders", resource: "o-1", id: "future" }),
      { ...accessLine({ time: "yesterday", subject: "support-agent", action: "GET /v1/orders", resource: "o-1" }) },
      { status: 200 },
    ];
    const summary = await world.link(world.write("skew.jsonl", lines), "jsonl");
    expect(summary).toMatchObject({ events: 3, linked: 1, unlinked: 2, future_events: 1, skipped: { invalid_time: 1, missing_field: 1 } });
    expect(world.linkage.events(summary.run_id).map((e) => e.event_id)).toEqual(["skewed"]);
    expect(world.linkage.findings(summary.run_id).map((f) => [f.code, f.line])).toEqual([["UNLINKED_ACTION", 2], ["UNLINKED_ACTION", 3]]);
    expect(world.linkage.report(summary.run_id).skipped.map((s) => s.message)).toEqual(['line 4: time "yesterday" is not a time', "line 5: no time field"]);
  });

  it("refuses a missing source and a mapping for a format that takes none, before recording a run", async () => {
    const before = world.linkage.runs(500).length;
    await expect(world.link(join(world.files, "nope.jsonl"), "jsonl")).rejects.toMatchObject({ code: "USAGE" });
    await expect(world.linkage.run({ path: join(FIXTURES, "k8s", "audit.jsonl") }, { format: "k8s", mapping: { fields: { time: "t", subject: "s", action: "a", resource: "r" } }, actor: { id: "carol", type: "human" } })).rejects.toMatchObject({ code: "USAGE" });
    expect(world.linkage.runs(500)).toHaveLength(before);
  });
});
