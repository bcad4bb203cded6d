// The README's shell blocks run as written, in a fresh data directory, and print what the README shows.
// A mark above a block says what it runs against (`<!-- readme-test: … -->`); a block that cannot run
// in CI says so there too (`<!-- readme-test: skip (reason) -->`).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareDemo } from "../src/runtime/demo.js";
import { CLI, ROOT, startDemoServe, tempDir, type DemoServer } from "./support/cli.js";

interface Command {
  line: string;
  /** Lines the README shows as this command's output (`# …` under it), `…` standing for anything. */
  shows: string[];
  /** The exit status the README shows (`# exit status N: …`), else 0. */
  exit: number;
}

/** What a block runs against, from the mark above it. */
type Setting = "fresh" | "demo-data" | "demo-server";

interface Block {
  /** 1-based line of the opening fence. */
  at: number;
  skip: string | undefined;
  setting: Setting;
  commands: Command[];
}

const SKIP = /^<!-- readme-test: skip \((.+)\) -->$/;
const SETTINGS: Record<string, Setting> = {
  "<!-- readme-test: on the demo data directory -->": "demo-data",
  "<!-- readme-test: against the demo server, its address for localhost:8700 and its mcp-gateway key as $PEP -->": "demo-server",
};
/** Above a plain fence: that fence is what the last command of the shell block before it prints, joined into one line. */
const PRINTS = "<!-- readme-test: what the block above prints -->";
const EXIT = /^exit status (\d+)\b/;

/** Whether a shell quote is still open at the end of `text` (a JSON body in '…' spans lines). */
function quoteOpen(text: string): boolean {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === undefined) {
      if (c === "\\") i++;
      else if (c === "'" || c === '"') quote = c;
      else if (c === "#" && (i === 0 || /\s/.test(text[i - 1] as string))) return false;
    } else if (c === quote) quote = undefined;
    else if (quote === '"' && c === "\\") i++;
  }
  return quote !== undefined;
}

/** The ```sh and ```bash blocks, each command joined across `\` continuations. */
export function shellBlocks(markdown: string): Block[] {
  const lines = markdown.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const mark = lines[i - 1] ?? "";
    if (lines[i] === "```" && mark === PRINTS) {
      let j = i + 1;
      const shown: string[] = [];
      for (; j < lines.length && lines[j] !== "```"; j++) shown.push((lines[j] as string).trim());
      const command = blocks.at(-1)?.commands.at(-1);
      if (!command) throw new Error(`line ${i + 1}: ${PRINTS} follows no shell block`);
      command.shows.push(shown.join(""));
      i = j;
      continue;
    }
    if (!/^```(sh|bash)\s*$/.test(lines[i] ?? "")) continue;
    const commands: Command[] = [];
    let j = i + 1;
    for (; j < lines.length && lines[j] !== "```"; j++) {
      let line = lines[j] as string;
      if (/^#\s/.test(line)) {
        const shown = line.replace(/^#\s/, "");
        const last = commands.at(-1);
        const exit = EXIT.exec(shown);
        if (last && exit) last.exit = Number(exit[1]);
        else last?.shows.push(shown);
        continue;
      }
      for (;;) {
        if (line.endsWith("\\") && j + 1 < lines.length) line = `${line.slice(0, -1)} ${(lines[++j] as string).trim()}`;
        else if (quoteOpen(line) && j + 1 < lines.length) line = `${line}\n${lines[++j] as string}`;
        else break;
      }
      if (line.trim() !== "") commands.push({ line, shows: [], exit: 0 });
    }
    blocks.push({ at: i + 1, skip: SKIP.exec(mark)?.[1], setting: SETTINGS[mark] ?? "fresh", commands });
    i = j;
  }
  return blocks;
}

/** `…` stands for anything, and the spaces around it too. */
function outline(shown: string): RegExp {
  const parts = shown.trim().split("…").map((part) => part.trim().replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(parts.join(".*"));
}

/**
 * One shell for the whole block, so a variable a command sets (`DECISION=$(arbiter decide … --print-id)`)
 * is there for the next, as in a terminal. Each command's streams and status go to files of their own;
 * a command of `a ; b` fails when either does (the ERR trap, as `set -e` would see it). The script
 * stops at the first command whose status is not the one the README shows.
 */
function blockScript(commands: Command[], out: string): string {
  const lines = [`arbiter() { "${process.execPath}" "${CLI}" "$@"; }`, "set -o pipefail", "trap 'failed=$?' ERR"];
  commands.forEach((command, i) => {
    lines.push("failed=0", `{ ${command.line}\n} >"${out}/${i}.out" 2>"${out}/${i}.err" </dev/null`);
    lines.push(`s=$?; if [ "$failed" -ne 0 ]; then s=$failed; fi; echo "$s" >"${out}/${i}.status"`, `[ "$s" = "${command.exit}" ] || exit 0`);
  });
  return `${lines.join("\n")}\n`;
}

function runBlock(block: Block, work: string, env: NodeJS.ProcessEnv, rewrite: (line: string) => string = (line) => line): void {
  const out = join(work, "out");
  mkdirSync(out, { recursive: true });
  const commands = block.commands.map((c) => ({ ...c, line: rewrite(c.line) }));
  const run = spawnSync("bash", ["-c", blockScript(commands, out)], { cwd: work, env, encoding: "utf8", timeout: 170_000 });
  expect(run.status, `the shell running the block stopped: ${run.stderr}`).toBe(0);
  commands.forEach((command, i) => {
    const read = (ext: string): string => {
      try {
        return readFileSync(join(out, `${i}.${ext}`), "utf8");
      } catch {
        return "";
      }
    };
    const stdout = read("out");
    expect(read("status").trim(), `${command.line}\n${read("err")}${stdout}`).toBe(String(command.exit));
    // What the terminal shows: the README's outline may come from either stream.
    const printed = `${stdout}\n${read("err")}`.split("\n");
    for (const shown of command.shows) {
      expect(printed.some((line) => outline(shown).test(line)), `${command.line} should print ${shown}\n${stdout}`).toBe(true);
    }
    // An evidence pack the README makes must find the decisions it shows ("… decisions" matches 0 too): a window fixed in the
    // README would find none once its dates had passed.
    const pack = /^arbiter report .*--out (\S+)/.exec(command.line)?.[1];
    if (pack !== undefined) {
      const report = JSON.parse(readFileSync(join(work, pack, "report.json"), "utf8")) as { totals: { decisions: number } };
      expect(report.totals.decisions, `${command.line} found no decisions`).toBeGreaterThan(0);
    }
  });
}

/** A fresh working directory: the checkout's examples/ linked in (the commands name them and write beside them), a home of its own. */
function workDir(): { work: string; env: NodeJS.ProcessEnv } {
  const work = tempDir("arbiter-readme-");
  symlinkSync(join(ROOT, "examples"), join(work, "examples"));
  mkdirSync(join(work, "home"));
  return { work, env: { ...process.env, ARBITER_DATA: join(work, ".arbiter"), HOME: join(work, "home") } };
}

const README = readFileSync(join(ROOT, "README.md"), "utf8");
const blocks = shellBlocks(README);

describe("README.md's shell blocks", () => {
  it("are each either run here or marked skipped with the test that covers them", () => {
    expect(blocks.length).toBeGreaterThan(0);
    expect(blocks.filter((b) => b.skip === undefined).length).toBeGreaterThan(0);
    for (const block of blocks.filter((b) => b.skip !== undefined)) expect(block.skip, `the skip at line ${block.at} names no test`).toMatch(/test\/\S+\.test\.ts/);
    // An unlabelled fence holding commands would escape this test: commands go in ```sh blocks.
    expect(README.split("\n").filter((line, i, all) => line === "```" && all[i + 1]?.startsWith("arbiter "))).toEqual([]);
    // A mark the parser does not know would leave its block running in the wrong setting.
    const marks = README.split("\n").filter((line) => line.startsWith("<!-- readme-test:"));
    expect(marks.filter((m) => !SKIP.test(m) && !(m in SETTINGS) && m !== PRINTS)).toEqual([]);
  });

  for (const block of blocks.filter((b) => b.skip === undefined && b.setting !== "demo-server")) {
    it(`runs the block at line ${block.at} against a fresh ${block.setting === "demo-data" ? "demo " : ""}data directory`, async () => {
      const { work, env } = workDir();
      if (block.setting === "demo-data") await prepareDemo(join(work, ".arbiter"));
      runBlock(block, work, env);
    }, 180_000);
  }
});

describe("README.md against arbiter serve --demo", () => {
  let server: DemoServer;
  let work: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    ({ work, env } = workDir());
    server = await startDemoServe(join(work, "served"));
  });
  afterAll(async () => {
    server.child.kill("SIGTERM");
    await server.exited;
  });

  for (const block of blocks.filter((b) => b.skip === undefined && b.setting === "demo-server")) {
    it(`runs the block at line ${block.at} on a free port, with the printed mcp-gateway key as $PEP`, () => {
      expect(server.printed()).toContain(`mcp-gateway (enforcement point: pep): ${server.keys["mcp-gateway"]}`);
      const address = new URL(server.url).host;
      runBlock(block, join(work, `block-${block.at}`), { ...env, PEP: server.keys["mcp-gateway"] }, (line) => line.replaceAll("localhost:8700", address));
    }, 180_000);
  }

  it("takes the bodies the README gives for POST /v1/breakglass and for approving, as it says", async () => {
    const post = async (path: string, who: string, body: unknown) => {
      const answer = await fetch(`${server.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${server.keys[who]}`, "content-type": "application/json" }, body: JSON.stringify(body) });
      return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
    };
    const prose = README.replace(/\s+/g, " ");
    const breakGlass = JSON.parse(/`POST \/v1\/breakglass` with the `pep` key and the body `(\{[^`]+\})`/.exec(prose)?.[1] ?? "null") as unknown;
    const approving = JSON.parse(/Approving takes the body `(\{[^`]+\})`/.exec(prose)?.[1] ?? "null") as unknown;
    expect(breakGlass).toMatchObject({ subject: { id: "dave" } });
    expect(typeof (approving as { justification?: unknown }).justification).toBe("string");

    expect((await post("/v1/breakglass", "mcp-gateway", breakGlass)).status).toBe(201);
    const second = await post("/v1/breakglass", "mcp-gateway", breakGlass);
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ outcome: "deny", reason_code: "BREAK_GLASS_OPEN" });

    const deploy = { subject: { id: "release-pipeline" }, action: "deploy", resource: { type: "Environment", id: "production", attributes: { tier: "production" } } };
    const held = await post("/v1/decisions", "mcp-gateway", deploy);
    expect(held.body).toMatchObject({ reason_code: "APPROVAL_REQUIRED" });
    const requestId = (held.body.approval_request as { id: string }).id;
    expect((await post(`/v1/approvals/${requestId}/approve`, "bob", approving)).status).toBe(200);
    expect((await post("/v1/decisions", "mcp-gateway", deploy)).body).toMatchObject({ outcome: "allow", reason_code: "APPROVAL_GRANTED" });
    expect((await post("/v1/decisions", "mcp-gateway", deploy)).body).toMatchObject({ reason_code: "APPROVAL_REQUIRED" });
  });
});

describe("shellBlocks", () => {
  it("joins continuations, keeps shown output and exit status with its command and reads the marks", () => {
    const parsed = shellBlocks(
      [
        "<!-- readme-test: skip (needs a server) -->", "```sh", "a \\", "  b", "# out …", "c", "# exit status 1: refused", "```",
        "<!-- readme-test: on the demo data directory -->", "```bash", "d -d '{", '  "x": 1}\'', "```", PRINTS, "```", '{"a":1,', ' "b":…}', "```",
      ].join("\n"),
    );
    expect(parsed).toEqual([
      { at: 2, skip: "needs a server", setting: "fresh", commands: [{ line: "a  b", shows: ["out …"], exit: 0 }, { line: "c", shows: [], exit: 1 }] },
      { at: 10, skip: undefined, setting: "demo-data", commands: [{ line: "d -d '{\n  \"x\": 1}'", shows: ['{"a":1,"b":…}'], exit: 0 }] },
    ]);
    expect(outline("run lnk_… over x (jsonl)").test("run lnk_01ab over x (jsonl)")).toBe(true);
    expect(outline("run lnk_… over x (jsonl)").test("run over y")).toBe(false);
    expect(outline('{"a":1,"b":…}').test('{"a":1,"b":{"c":2}}')).toBe(true);
    expect(outline('{"id":"01…","ledger":{"index":…}}').test('{"id":"01a2","ledger":{"index":15}}')).toBe(true);
    expect(outline('{"id":"01…","ledger":{"index":…}}').test('{"id":"01a2","x":1}')).toBe(false);
  });

  it("runs a block in one shell: variables carry over, a failure inside `a ; b` counts, and the first wrong status stops it", () => {
    const out = tempDir("arbiter-readme-script-");
    const commands: Command[] = [
      { line: "ID=$(echo 01ab)", shows: [], exit: 0 },
      { line: 'echo "id $ID"', shows: [], exit: 0 },
      { line: "false | true", shows: [], exit: 1 },
      { line: "false ; true", shows: [], exit: 0 },
      { line: "echo never", shows: [], exit: 0 },
    ];
    expect(spawnSync("bash", ["-c", blockScript(commands, out)], { encoding: "utf8" }).status).toBe(0);
    const status = (i: number): string => (existsSync(join(out, `${i}.status`)) ? readFileSync(join(out, `${i}.status`), "utf8").trim() : "not run");
    expect([0, 1, 2, 3, 4].map(status)).toEqual(["0", "0", "1", "1", "not run"]);
    expect(readFileSync(join(out, "1.out"), "utf8")).toBe("id 01ab\n");
  });
});
