// `arbiter report`: an evidence pack for one framework over a time range (HTML, JSON, a PDF when Chromium is there, and the bundle of cited records).
import { Command, Option } from "commander";
import { ArbiterError, human } from "../../record/index.js";
import { action, printJson, withData, withJson, type DataOption, type JsonOption } from "../door.js";
import { progressBar } from "../progress.js";
import { withPolicyStore } from "../session.js";
import { TIME_FLAG_HELP, timeWindow } from "../time-flags.js";

/** Kept in step with report/frameworks.ts (a test checks); listed here so `--help` needs no import of the report code. */
const FRAMEWORK_CHOICES = ["nist-csf-2", "owasp-nhi", "nist-ai-rmf"];

interface ReportOptions extends DataOption, JsonOption {
  from: string;
  to: string;
  framework: string;
  out: string;
  pdf: boolean;
}

export function reportCommand(): Command {
  return withJson(withData(new Command("report")))
    .description("write an evidence pack: decisions per framework control (mapped by the policies' @frameworks), approvals, break-glass, linkage, and a bundle of every record cited")
    .requiredOption("--from <time>", `first record time to include (${TIME_FLAG_HELP})`)
    .requiredOption("--to <time>", `record time to stop before (${TIME_FLAG_HELP})`)
    .addOption(new Option("--framework <name>", "the framework the controls belong to").choices(FRAMEWORK_CHOICES).makeOptionMandatory())
    .requiredOption("--out <dir>", "new directory for report.html, report.json, report.pdf and bundle/")
    .option("--no-pdf", "do not print report.pdf even when Chromium is installed")
    .action(
      action(async (options: ReportOptions) => {
        // One reading of the clock for both ends: `--from 30d --to now` is exactly 30 days, and printed as such.
        const { from, to } = timeWindow(options, new Date());
        const { writeEvidencePack, isFrameworkId } = await import("../../report/index.js");
        if (!isFrameworkId(options.framework)) throw new ArbiterError("USAGE", `--framework must be one of ${FRAMEWORK_CHOICES.join(", ")}`);
        const framework = options.framework;
        const progress = progressBar("report");
        const result = await withPolicyStore(options, (policies, ledger) => writeEvidencePack({ ledger, policies, framework, from, to, out: options.out, pdf: options.pdf, onProgress: progress }));
        progress.stop();
        const { report } = result;
        if (options.json) {
          printJson({ out: options.out, files: result.files, ...(result.pdfSkipped ? { pdf_skipped: result.pdfSkipped } : {}), framework, from, to, records: report.totals.records, decisions: report.totals.decisions, controls: report.controls.length, cited: report.cited.length });
          return;
        }
        process.stdout.write(human`evidence pack for ${report.framework.title} from ${from} to ${to} in ${options.out}: ${report.totals.decisions} decisions, ${report.controls.length} controls, ${report.approvals.count} approval records, ${report.break_glass.count} break-glass records, ${report.linkage.findings.count} findings; ${report.cited.length} records cited in bundle/\n`);
        process.stdout.write(human`files: ${result.files.join(", ")}\n`);
        if (result.pdfSkipped) process.stdout.write(human`no report.pdf: ${result.pdfSkipped}\n`);
      }),
    );
}
