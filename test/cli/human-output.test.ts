// Human output cannot be forged: a value from a record or a request that holds a newline, a terminal
// escape, a C1 control or a bidi override is shown escaped, so one entry stays one line and the
// terminal is never steered. Through the real CLI.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { escapeControls, human, humanJson } from "../../src/record/index.js";
import { arbiter, tempDir } from "../support/cli.js";

const data = join(tempDir(), "data");

// A subject id that prints a made-up second entry (index 12345, an allow) when written raw, and a
// resource id that clears the screen, opens an 8-bit CSI and reverses the rest of the line.
const FORGED_LINE = "bot\n 12345  2026-01-01T00:00:00.000Z  decision       admin  deploy  prod  allow  OK";
const ESCAPES = "\x1b[2J\u009b31m\u202egnp.exe";

/** Any character a terminal would act on rather than show (newline aside, which ends a line). */
// eslint-disable-next-line no-control-regex -- control characters are what the test looks for
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

beforeAll(() => {
  expect(arbiter(["init", "--data", data]).status).toBe(0);
  const line = JSON.stringify({ kind: "event", source: "ci", subject: { id: FORGED_LINE, type: "pipeline" }, action: "deploy", resource: { id: ESCAPES }, outcome: "deny" });
  expect(arbiter(["log", "append", "--data", data], { input: `${line}\n` }).status).toBe(0);
});

describe("human output escapes what records and requests carry", () => {
  it("log tail prints the forged entry as one line, its newline and escapes visible", () => {
    const tail = arbiter(["log", "tail", "--data", data]);
    expect(tail.status).toBe(0);
    expect(tail.stdout.split("\n")).toEqual([expect.stringMatching(/^\s+0\s/), ""]);
    expect(tail.stdout).toContain("bot\\n 12345  2026-01-01T00:00:00.000Z  decision");
    expect(tail.stdout).toContain("\\x1b[2J\\x9b31m\\u{202e}gnp.exe");
    expect(tail.stdout).not.toMatch(RAW_CONTROL);
  });

  it("log show without --json is JSON a terminal cannot be steered by", () => {
    const shown = arbiter(["log", "show", "0", "--data", data]);
    expect(shown.status).toBe(0);
    expect(shown.stdout).not.toMatch(RAW_CONTROL);
    const parsed = JSON.parse(shown.stdout) as { record: { subject: { id: string }; resource: { id: string } } };
    expect(parsed.record.subject.id).toBe(FORGED_LINE);
    expect(parsed.record.resource.id).toBe(ESCAPES);
  });

  it("identity show escapes a display name and attributes", () => {
    const created = arbiter(["identity", "create", "--data", data, "--actor", "root", "--type", "human", "--id", "alice", "--name", "Bob\nroles:       admin\x1b[8m", "--attr", "team=\u202eops"]);
    expect(created.status).toBe(0);
    const shown = arbiter(["identity", "show", "alice", "--data", data]);
    expect(shown.stdout).toContain("name:        Bob\\nroles:       admin\\x1b[8m\n");
    expect(shown.stdout).toMatch(/^roles: {7}-$/m);
    expect(shown.stdout).not.toMatch(RAW_CONTROL);
  });

  it("log tail shows a lifecycle entry's event, credential and actor", () => {
    expect(arbiter(["identity", "create", "--data", data, "--actor", "ops", "--type", "pipeline", "--id", "build-bot", "--owner", "alice"]).status).toBe(0);
    const issued = arbiter(["identity", "key", "build-bot", "--data", data, "--actor", "alice", "--json"]);
    expect(issued.status).toBe(0);
    const keyId = (JSON.parse(issued.stdout) as { credential: { id: string } }).credential.id;
    expect(arbiter(["identity", "suspend", "build-bot", "--data", data, "--actor", "alice", "--reason", "leaked"]).status).toBe(0);
    const lines = arbiter(["log", "tail", "-n", "3", "--data", data]).stdout.trimEnd().split("\n");
    expect(lines).toEqual([
      expect.stringMatching(/^\s+\d+ {2}\S+Z {2}lifecycle {6}build-bot {2}created {2}- {2}by ops$/),
      expect.stringMatching(new RegExp(`^\\s+\\d+ {2}\\S+Z {2}lifecycle {6}build-bot {2}credential_issued {2}${keyId} {2}by alice$`)),
      expect.stringMatching(/^\s+\d+ {2}\S+Z {2}lifecycle {6}build-bot {2}suspended {2}- {2}by alice$/),
    ]);
  });

  it("an error message quoting a request's value is escaped too", () => {
    const missing = arbiter(["log", "show", "x\u202e\u0085y", "--data", data]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe('arbiter: no record with id "x\\u{202e}\\x85y" in the ledger [NOT_FOUND]\n');
  });

  it("--json output stays the exact values", () => {
    const tail = arbiter(["log", "tail", "--json", "--data", data]);
    const first = JSON.parse(tail.stdout.split("\n")[0] ?? "") as { record: { subject: { id: string } } };
    expect(first.record.subject.id).toBe(FORGED_LINE);
  });
});

describe("the helper", () => {
  it("escapes C0, DEL, C1, separators and bidi controls, and nothing else", () => {
    expect(escapeControls("a\tb\r\nc\x00\x7f\u0085\u2028\u2066\u200f")).toBe("a\\tb\\r\\nc\\x00\\x7f\\x85\\u{2028}\\u{2066}\\u{200f}");
    expect(escapeControls("prod-eu/ß ü 日本 🚀 \\n")).toBe("prod-eu/ß ü 日本 🚀 \\n");
  });

  it("keeps the printer's own layout and escapes only the values", () => {
    expect(human`${"a\nb"}  ${1}\n`).toBe("a\\nb  1\n");
    expect(humanJson({ s: "\u202e\x1b" })).toBe('{\n  "s": "\\u202e\\u001b"\n}');
  });
});
