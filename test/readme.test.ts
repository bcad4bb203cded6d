// The README's shell blocks run as written, in a fresh data directory, and print what the README shows.
// A block that cannot run in CI says so in the README itself (`<!-- readme-test: skip (reason) -->`).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, ROOT, tempDir } from "./support/cli.js";

interface Command {
  line: string;
  /** Lines the README shows as this command's output (`# …` under it), `…` standing for anything. */
  shows: string[];
}

interface Block {
  /** 1-based line of the opening fence. */
  at: number;
  skip: string | undefined;
  commands: Command[];
}

const SKIP = /^<!-- readme-test: skip \((.+)\) -->$/;

/** The ```sh and ```bash blocks, each command joined across `\` continuations. */
export function shellBlocks(markdown: string): Block[] {
  const lines = markdown.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash)\s*$/.test(lines[i] ?? "")) continue;
    const skip = SKIP.exec(lines[i - 1] ?? "")?.[1];
    const commands: Command[] = [];
    let j = i + 1;
    for (; j < lines.length && lines[j] !== "```"; j++) {
      let line = lines[j] as string;
      if (/^#\s/.test(line)) {
        commands.at(-1)?.shows.push(line.replace(/^#\s/, ""));
        continue;
      }
      while (line.endsWith("\\") && j + 1 < lines.length) line = `${line.slice(0, -1)} ${(lines[++j] as string).trim()}`;
      if (line.trim() !== "") commands.push({ line, shows: [] });
    }
    blocks.push({ at: i + 1, skip, commands });
    i = j;
  }
  return blocks;
}

function outline(shown: string): RegExp {
  const parts = shown.trim().split("…").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(parts.join(".*"));
}

const README = readFileSync(join(ROOT, "README.md"), "utf8");
const blocks = shellBlocks(README);

describe("README.md's shell blocks", () => {
  it("are each either run here or marked skipped with a reason", () => {
    expect(blocks.length).toBeGreaterThan(0);
    expect(blocks.filter((b) => b.skip === undefined).length).toBeGreaterThan(0);
    // An unlabelled fence holding commands would escape this test: commands go in ```sh blocks.
    expect(README.split("\n").filter((line, i, all) => line === "```" && all[i + 1]?.startsWith("arbiter "))).toEqual([]);
  });

  for (const block of blocks.filter((b) => b.skip === undefined)) {
    it(`runs the block at line ${block.at} against a fresh data directory`, () => {
      const work = tempDir("arbiter-readme-");
      // The commands name files of the checkout (examples/…) and write beside them (bundle/).
      symlinkSync(join(ROOT, "examples"), join(work, "examples"));
      mkdirSync(join(work, "home"));
      const env = { ...process.env, ARBITER_DATA: join(work, ".arbiter"), HOME: join(work, "home") };
      for (const command of block.commands) {
        const script = `arbiter() { "${process.execPath}" "${CLI}" "$@"; }\nset -e -o pipefail 2>/dev/null || set -e\n${command.line}\n`;
        const run = spawnSync("bash", ["-c", script], { cwd: work, env, encoding: "utf8", timeout: 60_000 });
        expect(run.status, `${command.line}\n${run.stderr}`).toBe(0);
        // What the terminal shows: the README's outline may come from either stream.
        const printed = `${run.stdout}\n${run.stderr}`.split("\n");
        for (const shown of command.shows) {
          expect(printed.some((line) => outline(shown).test(line)), `${command.line} should print ${shown}\n${run.stdout}`).toBe(true);
        }
      }
    });
  }
});

describe("shellBlocks", () => {
  it("joins continuations, keeps shown output with its command and reads the skip mark", () => {
    const parsed = shellBlocks(["<!-- readme-test: skip (needs a server) -->", "```sh", "a \\", "  b", "# out …", "c", "```", "```bash", "d", "```"].join("\n"));
    expect(parsed).toEqual([
      { at: 2, skip: "needs a server", commands: [{ line: "a  b", shows: ["out …"] }, { line: "c", shows: [] }] },
      { at: 8, skip: undefined, commands: [{ line: "d", shows: [] }] },
    ]);
    expect(outline("run lnk_… over x (jsonl)").test("run lnk_01ab over x (jsonl)")).toBe(true);
    expect(outline("run lnk_… over x (jsonl)").test("run over y")).toBe(false);
  });
});
