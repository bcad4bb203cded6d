// `arbiter link`: join outside logs to the decisions that explain them; `link runs|show|trace` read the results back.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import type { LinkageSummary, LinkFormat, Mapping } from "../../linkage/index.js";
import { ArbiterError, escapeControls, human, isFinding, REASON_CODES, type ReasonCode } from "../../record/index.js";
import { parseDuration } from "../time-flags.js";
import { actorOf, withActor, type ActorOption } from "./identity-session.js";
import { EXIT, action, printJson, withData, withJson, type DataOption, type JsonOption } from "../door.js";
import { progressBar } from "../progress.js";
import { withRuntime } from "../session.js";

const FORMATS = ["cloudtrail", "k8s", "ocsf", "opa", "cerbos", "nginx", "caddy", "jsonl"] as const;

interface LinkOptions extends ActorOption {
  source?: string;
  format?: string;
  map?: string;
  principalMap?: string;
  failOn?: string;
  window: string;
  skew: string;
  out: string;
  report: boolean;
}

function failOnCodes(text: string | undefined): ReasonCode[] {
  if (text === undefined) return [];
  return text.split(",").map((code) => code.trim()).filter(Boolean).map((code) => {
    if (!(code in REASON_CODES) || !isFinding(code as ReasonCode)) {
      const findings = (Object.keys(REASON_CODES) as ReasonCode[]).filter(isFinding);
      throw new ArbiterError("USAGE", `--fail-on takes finding codes (${findings.join(", ")}), got ${JSON.stringify(code)}`);
    }
    return code as ReasonCode;
  });
}

function printSummary(s: LinkageSummary, findings: { code: string; file: string; line: number; note: string }[], files: string[]): void {
  const out: string[] = [];
  const coverage = s.coverage === null ? "no events" : `${(s.coverage * 100).toFixed(1)}%`;
  out.push(`linkage run ${s.run_id} over ${s.source} (${s.format})`);
  out.push(`coverage ${coverage}: ${s.linked} of ${s.events} event(s) linked (${Object.entries(s.by_key).map(([k, n]) => `${k} ${n}`).join(", ")})`);
  if (s.unlinked_denied) out.push(`${s.unlinked_denied} unlinked event(s) were refused by the source itself (no finding)`);
  const f = s.foreign_decisions;
  if (f.imported + f.already_in_ledger > 0) out.push(`foreign decisions: ${f.imported} imported, ${f.already_in_ledger} already in the ledger, ${f.corroborated} share a request with an Arbiter decision`);
  out.push(`findings: ${Object.entries(s.findings).map(([code, n]) => `${code} ${n}`).join(", ") || "none"}`);
  for (const finding of findings.slice(0, 20)) out.push(`  ${finding.code}  ${finding.file}:${finding.line}  ${finding.note}`);
  if (s.findings_total > 20) out.push(`  … ${s.findings_total - 20} more in the report`);
  if (s.skipped_total) out.push(`skipped ${s.skipped_total} line(s): ${Object.entries(s.skipped).map(([r, n]) => `${r} ${n}`).join(", ")}`);
  if (s.duplicates) out.push(`${s.duplicates} duplicate event(s) counted once`);
  for (const file of s.files) if (file.problems.length) out.push(`${file.file}: ${file.problems.join("; ")}`);
  if (s.within_skew) out.push(`${s.within_skew} event(s) fell within the ${s.skew_seconds} s clock-skew tolerance of a revocation, rotation or expiry`);
  if (s.future_events) out.push(`${s.future_events} event(s) are stamped in the future: check the source's clock`);
  if (s.cloudtrail_digests) {
    const d = s.cloudtrail_digests as { verified: string[]; hash_mismatch: string[]; not_provided: string[] };
    out.push(`CloudTrail digests: ${d.verified.length} log file(s) match their digest, ${d.hash_mismatch.length} do not${d.hash_mismatch.length ? ` (${d.hash_mismatch.join(", ")})` : ""}, ${d.not_provided.length} listed but not given; signatures not verified`);
  }
  if (files.length) out.push(`report: ${files.join(", ")}`);
  process.stdout.write(`${out.map((line) => escapeControls(line)).join("\n")}\n`);
}

/** The report directory, made before the run starts: a run must not be recorded and then lose its report. */
function ensureDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new ArbiterError("USAGE", `--out ${dir}: cannot write reports there (${err instanceof Error ? err.message : String(err)})`);
  }
}

function runAction() {
  return action(async (options: LinkOptions) => {
    if (options.source === undefined || options.format === undefined) throw new ArbiterError("USAGE", "give --source PATH and --format FORMAT (or a subcommand: runs, show, trace)");
    if (!FORMATS.includes(options.format as LinkFormat)) throw new ArbiterError("USAGE", `--format must be one of ${FORMATS.join(", ")}`);
    const failOn = failOnCodes(options.failOn);
    const { parseMapping, parsePrincipalMap } = await import("../../linkage/index.js");
    const mapping: Mapping | undefined = options.map === undefined ? undefined : parseMapping(readFileSync(options.map, "utf8"), options.map);
    const principals = options.principalMap === undefined ? undefined : parsePrincipalMap(readFileSync(options.principalMap, "utf8"), options.principalMap);
    const window = parseDuration(options.window, "--window");
    const skew = parseDuration(options.skew, "--skew");
    if (options.report) ensureDirectory(options.out);
    const progress = progressBar("link");
    const result = await withRuntime(options, async (runtime) => {
      const linkage = runtime.linkage;
      const summary = await linkage.run({ path: options.source as string }, {
        format: options.format as LinkFormat,
        ...(mapping ? { mapping } : {}),
        ...(principals ? { principals } : {}),
        windowSeconds: window,
        skewSeconds: skew,
        actor: actorOf(runtime.identities, options),
        onProgress: progress,
      });
      progress.stop();
      const report = linkage.report(summary.run_id);
      const files: string[] = [];
      if (options.report) {
        const base = join(options.out, `arbiter-link-${summary.run_id}`);
        writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
        writeFileSync(`${base}.html`, linkage.reportHtml(summary.run_id));
        files.push(`${base}.json`, `${base}.html`);
      }
      return { summary, findings: report.findings, files };
    });
    if (options.json) printJson({ ...result.summary, report_files: result.files });
    else printSummary(result.summary, result.findings, result.files);
    const failed = failOn.filter((code) => (result.summary.findings[code as keyof LinkageSummary["findings"]] ?? 0) > 0);
    if (failed.length) {
      if (!options.json) process.stderr.write(human`arbiter: --fail-on: ${failed.join(", ")} found\n`);
      process.exitCode = EXIT.failed;
    } else if (result.summary.events === 0 && result.summary.foreign_decisions.imported + result.summary.foreign_decisions.already_in_ledger === 0 && result.summary.skipped_total > 0) {
      if (!options.json) process.stderr.write(human`arbiter: no ${options.format} event could be read from ${options.source}; is --format right?\n`);
      process.exitCode = EXIT.failed;
    }
  });
}

function runsCommand(): Command {
  return withJson(withData(new Command("runs")))
    .description("linkage runs, newest first")
    .option("--limit <n>", "how many", "20")
    .action(
      action(async (options: DataOption & JsonOption & { limit: string }) => {
        const runs = await withRuntime(options, (runtime) => runtime.linkage.runs(Math.min(500, Math.max(1, Number(options.limit) || 20))));
        if (options.json) printJson({ runs });
        else if (runs.length === 0) process.stdout.write("no linkage runs\n");
        else for (const r of runs) {
          const s = r.summary !== null && !("error" in r.summary) ? r.summary : undefined;
          process.stdout.write(human`${r.id}  ${r.status}  ${r.format}  ${r.source}  ${s ? `${s.linked}/${s.events} linked, ${s.findings_total} finding(s)` : ""}\n`);
        }
      }),
    );
}

function showCommand(): Command {
  return withJson(withData(new Command("show")))
    .description("one run: its summary and findings")
    .argument("<run-id>")
    .action(
      action(async (id: string, options: DataOption & JsonOption) => {
        const report = await withRuntime(options, (runtime) => runtime.linkage.report(id));
        if (options.json) printJson(report);
        else printSummary(report.summary, report.findings, []);
      }),
    );
}

function traceCommand(): Command {
  return withJson(withData(new Command("trace")))
    .description("one request as one story: decisions of every engine, enforcement, outside events and findings under a trace id")
    .argument("<trace-id>")
    .action(
      action(async (traceId: string, options: DataOption & JsonOption) => {
        const steps = await withRuntime(options, (runtime) => runtime.linkage.trace(traceId.toLowerCase()));
        if (options.json) printJson({ trace_id: traceId, steps });
        else if (steps.length === 0) process.stdout.write(human`nothing recorded under trace ${traceId}\n`);
        else for (const s of steps) {
          process.stdout.write(human`${s.time}  ${s.kind.padEnd(13)} ${s.by.padEnd(12)} ${s.subject ?? "-"} ${s.action ?? "-"} ${s.resource ?? "-"} → ${s.outcome ?? "-"}${s.reason_code ? ` ${s.reason_code}` : ""}${s.decision_id && s.kind !== "decision" ? ` (decision ${s.decision_id})` : ""}${s.where ? ` [${s.where}]` : ""}\n`);
        }
      }),
    );
}

function runCommand(): Command {
  return withActor(new Command("run"))
    .description("join outside logs (CloudTrail, Kubernetes audit, OCSF, OPA, Cerbos, nginx and Caddy access logs, JSON lines) to the decisions that explain them; record links and findings")
    .option("--source <path>", "a log file or a directory of them (.gz is read too)")
    .option("--format <format>", FORMATS.join("|"))
    .option("--map <file>", "YAML field mapping for --format jsonl (default: the access-log mapping)")
    .option("--principal-map <file>", "YAML or JSON: source principals (a Kubernetes service account, an AWS role ARN) → Arbiter identities, before the built-in rules")
    .option("--fail-on <codes>", "exit 1 when any of these findings occurs, e.g. UNLINKED_ACTION,EXECUTED_DESPITE_DENY")
    .option("--window <duration>", "how long before an event a decision may lie for the credential and subject+action+resource keys", "60s")
    .option("--skew <duration>", "clock skew tolerated between the source and Arbiter", "5s")
    .option("--out <dir>", "where to write the JSON and HTML report", ".")
    .option("--no-report", "write no report files")
    .action(runAction());
}

/**
 * `arbiter link --source … --format …` runs (the default subcommand); `link runs|show|trace` read
 * back. The parent takes no options itself, so each subcommand's --data and --json stay its own.
 */
export function linkCommand(): Command {
  const run = runCommand();
  return new Command("link")
    .description("audit-to-enforcement linkage: join outside logs to decisions, report coverage and findings")
    // run is the default, so `arbiter link --source …` is `arbiter link run --source …`: show its options here too.
    .addHelpText("after", () => `\n\`run\` is the default command: arbiter link --source PATH [--format FORMAT] runs it.\n\n${run.helpInformation()}`)
    .addCommand(run, { isDefault: true })
    .addCommand(runsCommand())
    .addCommand(showCommand())
    .addCommand(traceCommand());
}
