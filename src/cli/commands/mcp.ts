// `arbiter mcp wrap|add|list|remove`: the MCP gateway in front of one stdio server, and the upstreams `arbiter serve` exposes at /mcp/NAME.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { Command } from "commander";
import { ArbiterError, human, isSensitivity, SENSITIVITY_LEVELS, type Sensitivity } from "../../record/index.js";
import { action, dataDir, parseIndex, printJson, withData, withJson, type DataOption, type JsonOption } from "../door.js";
import { settingsFor, withSettingFlags } from "../settings-flags.js";

/** Settings `mcp wrap` reads: the flag, the environment or the data directory's settings.yaml. */
const WRAP_SETTINGS = ["mcp.approval_timeout", "mcp.call_timeout"] as const;

/** Where `--credential` is read from when the flag is absent (keeps the agent's key out of process listings). */
export const AGENT_CREDENTIAL_ENV = "ARBITER_AGENT_CREDENTIAL";


interface WrapCliOptions extends DataOption {
  credential?: string;
  serverName?: string;
  url?: string;
  sensitivity?: string;
  server?: string;
  pepCredential?: string;
}

interface AddOptions extends DataOption {
  url?: string;
  approvalTimeout?: string;
  callTimeout?: string;
  header: string[];
  env: string[];
  cwd?: string;
  sensitivity?: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function pairs(values: readonly string[], what: string): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const at = v.indexOf("=");
    if (at <= 0) throw new ArbiterError("USAGE", `${what} must look like NAME=VALUE, got ${JSON.stringify(v)}`);
    out[v.slice(0, at)] = v.slice(at + 1);
  }
  return out;
}

function seconds(text: string, what: string): number {
  const n = parseIndex(text, what);
  if (n === 0 || n > 86_400) throw new ArbiterError("USAGE", `${what} must be between 1 and 86400 seconds`);
  return n * 1000;
}

function checkSensitivity(value: string | undefined): asserts value is Sensitivity | undefined {
  if (value !== undefined && !isSensitivity(value)) throw new ArbiterError("USAGE", `--sensitivity must be one of ${SENSITIVITY_LEVELS.join(", ")}`);
}

function wrapCommand(): Command {
  return withSettingFlags(withData(new Command("wrap")), WRAP_SETTINGS)
    .description("serve MCP on stdin/stdout in front of an upstream MCP server, deciding every call before it runs")
    .argument("[command...]", "the upstream server's command and arguments, after --")
    .option("--credential <key>", `the agent's API key or token (default: $${AGENT_CREDENTIAL_ENV})`)
    .option("--server-name <name>", "the upstream's name in resource ids, e.g. filesystem (default: the name the upstream reports)")
    .option("--url <url>", "reach a Streamable HTTP upstream instead of spawning a command")
    .option("--sensitivity <level>", `sensitivity of the upstream's tools in records: ${SENSITIVITY_LEVELS.join(", ")}`)
    .option("--server <url>", "decide and record through a running Arbiter instead of the local data directory")
    .option("--pep-credential <key>", "with --server: this gateway's own credential, an identity with the pep role (default: $ARBITER_PEP_CREDENTIAL)")
    .action(
      action(async (command: string[], options: WrapCliOptions) => {
        const { mcp, stream, notify } = settingsFor(dataDir(options), options, WRAP_SETTINGS).settings;
        const [{ runWrap, upstreamEnvironment, DEFAULT_LIMITS, SERVER_NAME }, { LocalDecisionPoint, RemoteDecisionPoint, PEP_CREDENTIAL_ENV }] = await Promise.all([
          import("../../enforce/mcp/index.js"),
          import("../../enforce/decision-point/index.js"),
        ]);
        const credential = options.credential ?? process.env[AGENT_CREDENTIAL_ENV];
        if (!credential) throw new ArbiterError("USAGE", `give the agent's credential with --credential or $${AGENT_CREDENTIAL_ENV}`);
        const [program, ...args] = command;
        if ((program === undefined) === (options.url === undefined)) throw new ArbiterError("USAGE", "give either the upstream command after -- or --url, not both");
        if (options.serverName !== undefined && !SERVER_NAME.test(options.serverName)) throw new ArbiterError("USAGE", "--server-name must be 1 to 64 letters, digits, . _ or -");
        checkSensitivity(options.sensitivity);
        const limits = { ...DEFAULT_LIMITS, approvalTimeoutMs: mcp.approval_timeout, callTimeoutMs: mcp.call_timeout };
        let point;
        let notifications: { close(): Promise<void> } | undefined;
        let runtime: { close(): Promise<void> } | undefined;
        if (options.server !== undefined) {
          const pep = options.pepCredential ?? process.env[PEP_CREDENTIAL_ENV];
          if (!pep) throw new ArbiterError("USAGE", `--server needs the gateway's credential: --pep-credential or $${PEP_CREDENTIAL_ENV}`);
          const remote = new RemoteDecisionPoint(options.server, pep);
          // Before the upstream starts: a wrong key fails here, not as the agent's first tools/list.
          await remote.checkAccess({ credential });
          point = remote;
        } else {
          if (options.pepCredential !== undefined) throw new ArbiterError("USAGE", "--pep-credential goes with --server; without it, decisions are made in this process over the data directory");
          // A long-running process, like serve: WAL checkpoints on a worker, never inside a decision's commit.
          const { openRuntime, streamingOptions, startNotifications } = await import("../../runtime/index.js");
          // stdout carries MCP messages: the stream's lines go to stderr.
          const streaming = streamingOptions(stream, (line) => process.stderr.write(human`arbiter ${line}\n`));
          const local = openRuntime(dataDir(options), { backgroundCheckpoints: true, ...(streaming ? { streaming } : {}) });
          runtime = local;
          point = new LocalDecisionPoint(local);
          // Approvals opened here are this process's to announce (with --server, the server announces them).
          notifications = startNotifications(local, notify, { warn: (line) => process.stderr.write(human`arbiter ${line}\n`) });
        }
        try {
          await runWrap({
            upstream: program !== undefined ? { kind: "stdio", command: program, args, env: upstreamEnvironment() } : { kind: "http", url: options.url as string },
            credential,
            point,
            limits,
            ...(options.serverName !== undefined ? { serverName: options.serverName } : {}),
            ...(options.sensitivity !== undefined ? { sensitivity: options.sensitivity } : {}),
          });
        } finally {
          await notifications?.close();
          await point.close();
          await runtime?.close();
        }
      }),
    );
}

function addCommand(): Command {
  return withData(new Command("add"))
    .description("configure an upstream that `arbiter serve` exposes at /mcp/NAME over Streamable HTTP")
    .argument("<name>", "the upstream's name: the URL path segment and the server in resource ids")
    .argument("[command...]", "the upstream server's command and arguments, after -- (spawned once per session)")
    .option("--url <url>", "a Streamable HTTP upstream instead of a command")
    .option("--header <name=value>", "a header sent to an HTTP upstream (repeatable)", collect, [])
    .option("--env <name=value>", "an environment variable of the upstream command (repeatable)", collect, [])
    .option("--cwd <dir>", "the upstream command's working directory")
    .option("--sensitivity <level>", `sensitivity of the upstream's tools in records: ${SENSITIVITY_LEVELS.join(", ")}`)
    .option("--approval-timeout <seconds>", "how long a call is held open for an approver (default 120)")
    .option("--call-timeout <seconds>", "how long the upstream may take to answer one call (default 60)")
    .action(
      action(async (name: string, command: string[], options: AddOptions) => {
        const { addUpstream } = await import("../../enforce/mcp/index.js");
        const [program, ...args] = command;
        if ((program === undefined) === (options.url === undefined)) throw new ArbiterError("USAGE", "give either the upstream command after -- or --url, not both");
        checkSensitivity(options.sensitivity);
        const sensitivity = options.sensitivity;
        const headers = pairs(options.header, "--header");
        const env = pairs(options.env, "--env");
        const common = {
          ...(sensitivity ? { sensitivity } : {}),
          ...(options.approvalTimeout !== undefined ? { approval_timeout: seconds(options.approvalTimeout, "--approval-timeout") / 1000 } : {}),
          ...(options.callTimeout !== undefined ? { call_timeout: seconds(options.callTimeout, "--call-timeout") / 1000 } : {}),
        };
        addUpstream(dataDir(options), name, program !== undefined
          ? { command: program, args, ...(env ? { env } : {}), ...(options.cwd ? { cwd: options.cwd } : {}), ...common }
          : { url: options.url as string, ...(headers ? { headers } : {}), ...common });
        process.stdout.write(human`upstream ${name} added; \`arbiter serve\` exposes it at /mcp/${name}\n`);
      }),
    );
}

function listCommand(): Command {
  return withJson(withData(new Command("list")))
    .description("the configured upstreams (environment values and headers are not printed)")
    .action(
      action(async (options: DataOption & JsonOption) => {
        const { readUpstreams } = await import("../../enforce/mcp/index.js");
        const upstreams = Object.entries(readUpstreams(dataDir(options))).map(([name, c]) => ({
          name,
          path: `/mcp/${name}`,
          ...("url" in c ? { url: c.url } : { command: c.command, args: c.args, ...(c.cwd ? { cwd: c.cwd } : {}), env: Object.keys(c.env ?? {}) }),
          ...(c.sensitivity ? { sensitivity: c.sensitivity } : {}),
        }));
        if (options.json) printJson({ upstreams });
        else if (upstreams.length === 0) process.stdout.write("no MCP upstreams configured (arbiter mcp add NAME -- COMMAND ...)\n");
        else for (const u of upstreams) process.stdout.write(human`${u.name}  ${u.path}  ${"url" in u ? u.url : [u.command, ...u.args].join(" ")}\n`);
      }),
    );
}

function removeCommand(): Command {
  return withData(new Command("remove"))
    .description("remove a configured upstream (open sessions keep running until they end)")
    .argument("<name>")
    .action(
      action(async (name: string, options: DataOption) => {
        const { removeUpstream } = await import("../../enforce/mcp/index.js");
        removeUpstream(dataDir(options), name);
        process.stdout.write(human`upstream ${name} removed\n`);
      }),
    );
}

interface SchemaOptions extends DataOption {
  url?: string;
  serverName?: string;
  merge?: string;
  principal: string;
}

function schemaCommand(): Command {
  return withData(new Command("schema"))
    .description("start an upstream, list its tools and print Cedar schema actions for them (argument types from each tool's inputSchema)")
    .argument("[target...]", "a configured upstream's NAME (arbiter mcp add), or after -- the upstream's command and arguments")
    .option("--url <url>", "a Streamable HTTP upstream instead")
    .option("--server-name <name>", "the upstream's name in resource ids, as given to mcp wrap (default: the configured NAME, else the name the upstream reports)")
    .option("--merge <file>", "add the actions the schema file does not declare yet to it (and the Tool entity if it has none), instead of printing")
    .option("--principal <types>", "the principal types the actions apply to, comma-separated", "Agent")
    .action(
      action(async (target: string[], options: SchemaOptions) => {
        const { readUpstreams, readUpstreamTools, upstreamSpec, mergeToolSchema, toolSchemaText, serverNameFrom, checkPrincipalTypes } = await import("../../enforce/mcp/index.js");
        const principals = options.principal.split(",").map((p) => p.trim()).filter(Boolean);
        checkPrincipalTypes(principals);
        // Commander hands the words after -- to the same argument: only the raw command line tells a command from a name.
        const dashed = process.argv.slice(2).includes("--");
        let spec;
        let name: string | undefined;
        if (options.url !== undefined) {
          if (target.length > 0) throw new ArbiterError("USAGE", "give one of NAME, -- COMMAND or --url");
          spec = { kind: "http" as const, url: options.url };
        } else if (dashed && target.length > 0) {
          const [program, ...args] = target;
          spec = { kind: "stdio" as const, command: program as string, args };
        } else if (target.length === 1) {
          const [configured = ""] = target;
          name = configured;
          const config = readUpstreams(dataDir(options))[configured];
          if (config === undefined) throw new ArbiterError("NOT_FOUND", `no upstream named ${name} (arbiter mcp list); for a command, put it after --`);
          spec = upstreamSpec(config);
        } else {
          throw new ArbiterError("USAGE", "give one of NAME (a configured upstream), -- COMMAND ARGS... or --url URL");
        }
        const listed = await readUpstreamTools(spec, { onStderr: (line) => process.stderr.write(human`upstream: ${line}\n`) });
        const server = options.serverName ?? name ?? serverNameFrom(listed.server);
        if (options.merge === undefined) {
          const { text, notes } = toolSchemaText(server, listed.tools, principals);
          process.stdout.write(text);
          for (const note of notes) process.stderr.write(human`note: ${note}\n`);
          return;
        }
        const file = options.merge;
        const merged = mergeToolSchema(readFileSync(file, "utf8"), file, server, listed.tools, principals);
        if (merged.added.length > 0) {
          writeFileSync(`${file}.tmp`, merged.text);
          renameSync(`${file}.tmp`, file);
        }
        process.stdout.write(human`${file}: added ${merged.added.length} action(s)${merged.added.length ? `: ${merged.added.join(", ")}` : ""}; already declared: ${merged.kept.length ? merged.kept.join(", ") : "none"}\n`);
        for (const note of merged.notes) process.stderr.write(human`note: ${note}\n`);
      }),
    );
}

export function mcpCommand(): Command {
  return new Command("mcp")
    .description("the MCP enforcement gateway: wrap a stdio server, or configure upstreams for `arbiter serve`")
    .addCommand(wrapCommand())
    .addCommand(schemaCommand())
    .addCommand(addCommand())
    .addCommand(listCommand())
    .addCommand(removeCommand());
}
