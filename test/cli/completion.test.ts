// Shell completion is generated from the command tree, and `link --help` shows the default run's options.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { arbiter } from "../support/cli.js";

/** What bash completes for the words typed so far (the last one is the word being completed). */
function bashCompletes(script: string, words: string[]): string[] {
  const program = `eval "$SCRIPT"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _arbiter; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const run = spawnSync("bash", ["--norc", "--noprofile", "-c", program], { env: { PATH: process.env.PATH ?? "", SCRIPT: script }, encoding: "utf8" });
  expect(run.stderr).toBe("");
  return run.stdout.split("\n").filter(Boolean);
}

describe("arbiter completion", () => {
  const bash = arbiter(["completion", "bash"]);

  it("prints a bash script that completes commands, subcommands and options at any depth", () => {
    expect(bash.status).toBe(0);
    expect(bashCompletes(bash.stdout, ["arbiter", ""])).toEqual(expect.arrayContaining(["identity", "policy", "log", "completion", "--data"]));
    expect(bashCompletes(bash.stdout, ["arbiter", "ide"])).toEqual(["identity"]);
    expect(bashCompletes(bash.stdout, ["arbiter", "identity", ""])).toEqual(expect.arrayContaining(["create", "rotate", "suspend", "revoke"]));
    // Global --data and its value are skipped on the way to the command.
    expect(bashCompletes(bash.stdout, ["arbiter", "--data", "/tmp/x", "log", "ver"])).toEqual(["verify", "verify-bundle"]);
    expect(bashCompletes(bash.stdout, ["arbiter", "link", "run", "--so"])).toEqual(["--source"]);
    expect(bashCompletes(bash.stdout, ["arbiter", "policy", "activate", "--skip"])).toEqual(["--skip-tests"]);
  });

  it("prints zsh (through bashcompinit) and fish scripts naming the same commands", () => {
    const zsh = arbiter(["completion", "zsh"]);
    expect(zsh.status).toBe(0);
    expect(zsh.stdout).toContain("bashcompinit");
    expect(zsh.stdout).toContain('"identity") echo "create');
    const fish = arbiter(["completion", "fish"]);
    expect(fish.status).toBe(0);
    expect(fish.stdout).toContain("complete -c arbiter -f -a '(__arbiter_words (__arbiter_path))'");
    expect(fish.stdout).toMatch(/case "identity"\n\s+string split " " -- "create /);
  });

  it("refuses a shell it has no script for, with a usage error", () => {
    expect(arbiter(["completion", "tcsh"])).toMatchObject({ status: 2, stdout: "", stderr: 'arbiter: no completion for "tcsh": choose bash, zsh, fish [USAGE]\n' });
    expect(arbiter(["completion"]).status).toBe(2);
  });
});

describe("arbiter link --help", () => {
  it("shows the default run command's options: --source and the formats", () => {
    const help = arbiter(["link", "--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("`run` is the default command");
    expect(help.stdout).toContain("--source <path>");
    expect(help.stdout).toMatch(/cloudtrail\|k8s\|ocsf\|opa\|cerbos\|nginx\|caddy\|jsonl/);
  });
});
