// `arbiter completion bash|zsh|fish`: a shell completion script generated from the command tree itself,
// so it names exactly the commands and options this build has.
import { Command } from "commander";
import { ArbiterError } from "../../record/index.js";
import { action } from "../door.js";

const SHELLS = ["bash", "zsh", "fish"] as const;
type Shell = (typeof SHELLS)[number];

/** Each command path ("" for the root, "identity create", …) with the words that may follow it. */
export function completionTable(root: Command): Map<string, string[]> {
  const table = new Map<string, string[]>();
  const walk = (command: Command, path: string): void => {
    const subcommands = command.commands.map((c) => c.name()).filter((name) => name !== "help");
    const options = command.options.flatMap((o) => (o.long ? [o.long] : []));
    table.set(path, [...subcommands, ...options, "--help"]);
    for (const sub of command.commands) walk(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  walk(root, "");
  return table;
}

// Command names and long options are [a-z0-9-] only; anything else would be refused rather than quoted.
const SAFE = /^[A-Za-z0-9 _-]*$/;

function cases(table: Map<string, string[]>, line: (path: string, words: string) => string): string {
  return [...table].map(([path, words]) => {
    const joined = words.join(" ");
    if (!SAFE.test(path) || !SAFE.test(joined)) throw new Error(`a command or option name cannot be put in a completion script: ${path}`);
    return line(path, joined);
  }).join("\n");
}

function bash(table: Map<string, string[]>, name: string): string {
  return `# ${name} completion for bash: eval "$(${name} completion bash)"
_${name}_words() {
  case "$1" in
${cases(table, (path, words) => `    "${path}") echo "${words}" ;;`)}
  esac
}
_${name}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" word i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case "$word" in -*) continue ;; esac
    case " $(_${name}_words "$path") " in *" $word "*) path="\${path:+$path }$word" ;; esac
  done
  COMPREPLY=($(compgen -W "$(_${name}_words "$path")" -- "$cur"))
}
complete -o default -F _${name} ${name}
`;
}

function zsh(table: Map<string, string[]>, name: string): string {
  return `# ${name} completion for zsh: eval "$(${name} completion zsh)"
autoload -U +X bashcompinit && bashcompinit
${bash(table, name).split("\n").slice(1).join("\n")}`;
}

function fish(table: Map<string, string[]>, name: string): string {
  return `# ${name} completion for fish: ${name} completion fish | source
function __${name}_path
  set -l path ""
  for word in (commandline -opc)[2..-1]
    string match -q -- '-*' $word; and continue
    if contains -- $word (__${name}_words "$path")
      set path (string trim -- "$path $word")
    end
  end
  echo $path
end
function __${name}_words
  switch "$argv[1]"
${cases(table, (path, words) => `    case "${path}"\n      string split " " -- "${words}"`)}
  end
end
complete -c ${name} -f -a '(__${name}_words (__${name}_path))'
`;
}

export function completionScript(shell: Shell, root: Command): string {
  const table = completionTable(root);
  const name = root.name();
  return shell === "bash" ? bash(table, name) : shell === "zsh" ? zsh(table, name) : fish(table, name);
}

export function completionCommand(): Command {
  return new Command("completion")
    .description(`print a shell completion script: ${SHELLS.join(", ")} (bash: eval "$(arbiter completion bash)")`)
    .argument("<shell>", SHELLS.join("|"))
    .action(
      action((shell: string, _options: unknown, command: Command) => {
        if (!(SHELLS as readonly string[]).includes(shell)) throw new ArbiterError("USAGE", `no completion for ${JSON.stringify(shell)}: choose ${SHELLS.join(", ")}`);
        let root = command;
        while (root.parent) root = root.parent;
        process.stdout.write(completionScript(shell as Shell, root));
        return Promise.resolve();
      }),
    );
}
