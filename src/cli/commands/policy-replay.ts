// `arbiter policy replay`: recorded decisions evaluated again, under their own version or a candidate set.
import { Command } from "commander";
import type { ReplayReport, ReplaySample } from "../../decide/index.js";
import { escapeControls } from "../../record/index.js";
import { EXIT, printJson, withData, withJson, type DataOption, type JsonOption } from "../door.js";
import { progressBar } from "../progress.js";
import { withPolicyStore } from "../session.js";
import { TIME_FLAG_HELP, timeWindow } from "../time-flags.js";
import { policyAction } from "./policy-output.js";

interface ReplayCliOptions extends DataOption, JsonOption {
  from?: string;
  to?: string;
  with?: string;
}

/** Record fields are data from callers: a newline or terminal escape must not shape what a person reads. */
const clean = escapeControls;

function verdictText(v: ReplaySample["recorded"]): string {
  return `${v.outcome} ${v.reason_code}${v.determining.length ? ` [${v.determining.join(", ")}]` : ""}`;
}

function sampleLines(samples: ReplaySample[]): string {
  return samples.map((s) => `    ${s.time}  ${s.decision_id}  ${clean(s.subject)} ${clean(s.action)} ${clean(s.resource)}: ${clean(verdictText(s.recorded))} -> ${clean(verdictText(s.replayed))}\n`).join("");
}

export function printReplay(report: ReplayReport, out: (text: string) => void): void {
  const range = report.from || report.to ? ` recorded ${report.from ?? "(start)"} .. ${report.to ?? "(now)"}` : "";
  const under = report.mode === "candidate" ? `the candidate set ${report.candidate_version ?? ""}` : "their own recorded policy versions";
  out(`replayed ${report.replayed} of ${report.decisions} decisions${range} under ${under}\n`);
  if (report.mode === "recorded") {
    out(`reproduced: ${report.same}\nmismatches: ${report.mismatches.count}\n`);
    if (report.mismatches.count) out(`  recorded verdict -> replayed verdict (each a finding)\n${sampleLines(report.mismatches.samples)}`);
  } else {
    out(`unchanged: ${report.same}\n`);
    for (const change of report.changes) out(`${change.from} -> ${change.to}: ${change.count}\n${sampleLines(change.samples)}`);
    if (report.changes.length === 0) out("no outcome would change\n");
    if (report.reasons_changed.count) out(`same outcome, other reason or policies: ${report.reasons_changed.count}\n${sampleLines(report.reasons_changed.samples)}`);
  }
  for (const group of report.not_replayable) out(`not replayable: ${group.count}: ${group.reason}\n    e.g. ${group.samples.join(", ")}\n`);
}

export function replayCommand(): Command {
  return withJson(withData(new Command("replay")))
    .description("evaluate recorded decisions again: under their own recorded policy version (every verdict must be reproduced, exit 1 otherwise) or, with --with, under a candidate set to show what it would change")
    .option("--from <time>", `decisions recorded at or after this time (${TIME_FLAG_HELP})`)
    .option("--to <time>", `decisions recorded before this time, exclusive (${TIME_FLAG_HELP})`)
    .option("--with <dir>", "a candidate policy directory: show which outcomes it would change")
    .action(
      policyAction(async (options: ReplayCliOptions) => {
        const { from, to } = timeWindow(options, new Date());
        const { loadPolicyDir } = await import("../../policy/index.js");
        const { Replayer } = await import("../../decide/index.js");
        const candidate = options.with === undefined ? undefined : loadPolicyDir(options.with);
        const progress = progressBar("replay", !options.json && process.stderr.isTTY === true);
        const report = await withPolicyStore(options, (store, ledger) => {
          try {
            return new Replayer(ledger, store).run({ ...(from ? { from } : {}), ...(to ? { to } : {}), ...(candidate ? { candidate } : {}), onProgress: progress });
          } finally {
            progress.stop();
          }
        });
        if (options.json) printJson(report);
        else printReplay(report, (text) => process.stdout.write(text));
        if (report.mode === "recorded" && report.mismatches.count > 0) process.exitCode = EXIT.failed;
      }),
    );
}
