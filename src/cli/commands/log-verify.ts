// `arbiter log verify|export|verify-bundle`: checking the stored ledger and offline evidence bundles.
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { dataDirCheckpoint, exportBundle, openLedger, readOutsideCheckpoints, verifyBundle, verifyLedgerInParallel, type LedgerVerification } from "../../ledger/index.js";
import { DATA_FILES } from "../../store/index.js";
import { ArbiterError } from "../../record/errors.js";
import { EXIT, action, dataDir, printJson, withData, withJson, type DataOption, type JsonOption } from "../door.js";
import { progressBar } from "../progress.js";
import { withLedger } from "../session.js";
import { TIME_FLAG_HELP, timeWindow } from "../time-flags.js";
import { human } from "../../record/index.js";

type Options = DataOption & JsonOption;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function verifyCommand(): Command {
  return withJson(withData(new Command("verify")))
    .description("recompute the tree from the stored entries; check every stored hash and checkpoint, the query tables, and checkpoints kept outside the database")
    .option("--checkpoint <file-or-dir>", "a checkpoint of this log kept elsewhere (a witness's copy, or a directory of them); repeatable", collect)
    .action(
      action(async (options: Options & { checkpoint?: string[] }) => {
        const outside = [...dataDirCheckpoint(join(dataDir(options), DATA_FILES.checkpoint)), ...readOutsideCheckpoints(options.checkpoint ?? [])];
        const progress = progressBar("verify");
        // Opening must not refuse a rolled-back log: verify reports it, with the rest, as its finding.
        // Loaded on demand, like the runtime (session.ts): every `arbiter log` command would pay for linkage's modules.
        const { checkDecisionKeys } = await import("../../linkage/index.js");
        const { ledger, store } = openLedger(dataDir(options), { checkpointIntervalMs: 0, rollbackCheck: false });
        let report: LedgerVerification;
        try {
          // On every core for a large log, each thread with its own read-only connection (ledger/verify-parallel.ts).
          report = await verifyLedgerInParallel(ledger.reader, store.location, ledger.verifier, ledger.origin, { onProgress: progress, outside });
          // Linkage joins from its own copy of every decision's keys: an edited row there lies as an edited index would.
          const linkage = report.ok ? checkDecisionKeys(store.linkage, ledger).problem : undefined;
          if (linkage) report = { ...report, ok: false, failure: linkage };
        } finally {
          await ledger.close();
        }
        progress.stop();
        if (options.json) printJson(report);
        else if (report.ok) process.stdout.write(human`ok: ${report.entries} entries and ${report.checkpoints} checkpoints verify; root ${report.root}\n`);
        else {
          const where = report.failure?.table ? human` (table ${report.failure.table})` : "";
          process.stderr.write(human`FAILED at index ${report.failure?.index}${where}: ${report.failure?.problem}\n`);
        }
        if (!report.ok) process.exitCode = EXIT.failed;
      }),
    );
}

interface ExportOptions extends Options {
  out: string;
  from?: string;
  to?: string;
}

export function exportCommand(): Command {
  return withJson(withData(new Command("export")))
    .description("write an offline evidence bundle: entries, inclusion proofs, checkpoint and verifier key")
    .requiredOption("--out <dir>", "new directory for the bundle")
    .option("--from <time>", `first record time to include (${TIME_FLAG_HELP})`)
    .option("--to <time>", `record time to stop before (${TIME_FLAG_HELP})`)
    .action(
      action(async (options: ExportOptions) => {
        const { from, to } = timeWindow(options, new Date());
        const progress = progressBar("export");
        const manifest = await withLedger(options, (ledger) =>
          exportBundle(ledger, options.out, { ...(from ? { from } : {}), ...(to ? { to } : {}), onProgress: progress }),
        );
        progress.stop();
        if (options.json) printJson({ out: options.out, count: manifest.count, tree_size: manifest.tree_size, root: manifest.root });
        else process.stdout.write(human`exported ${manifest.count} entries against checkpoint size ${manifest.tree_size} to ${options.out}\n`);
      }),
    );
}

interface VerifyBundleOptions extends JsonOption {
  vkey?: string;
  trustBundleKey?: boolean;
}

function trustedKey(options: VerifyBundleOptions): string | undefined {
  const value = options.vkey;
  if (value === undefined) {
    if (options.trustBundleKey) return undefined;
    throw new ArbiterError(
      "USAGE",
      "no trusted verifier key: pass --vkey KEY|FILE with the log's key obtained out of band, or --trust-bundle-key to check the bundle only against the key it carries (a forged bundle signed with its own key passes that)",
    );
  }
  if (options.trustBundleKey) throw new ArbiterError("USAGE", "--vkey and --trust-bundle-key exclude each other");
  const key = (existsSync(value) ? readFileSync(value, "utf8") : value).trim();
  // An empty key (say, `--vkey "$(cat missing-file)"`) must not fall back to the bundle's own key.
  if (key === "") throw new ArbiterError("USAGE", "--vkey is empty; pass the verifier key you trust or a file holding it");
  return key;
}

export function verifyBundleCommand(): Command {
  return withJson(new Command("verify-bundle"))
    .description("verify an evidence bundle offline, from its files alone")
    .argument("<dir>", "bundle directory")
    .option("--vkey <key-or-file>", "the verifier key you trust, obtained out of band (required unless --trust-bundle-key)")
    .option("--trust-bundle-key", "check against the key the bundle carries: proves internal consistency only, not who signed it")
    .action(
      action((dir: string, options: VerifyBundleOptions) => {
        const vkey = trustedKey(options);
        const progress = progressBar("verify-bundle");
        const report = verifyBundle(dir, { ...(vkey !== undefined ? { trustedVkey: vkey } : { trustBundleKey: true }), onProgress: progress });
        progress.stop();
        if (options.json) printJson(report);
        else {
          for (const failure of report.failures) process.stderr.write(human`FAILED: ${failure.problem}\n`);
          for (const name of report.unlisted) process.stderr.write(human`warning: ${name} is not listed in the manifest and was not verified\n`);
          const against = report.keyPinned ? "the trusted verifier key" : "the bundle's own key (--trust-bundle-key): this shows the bundle is consistent, not who signed it";
          if (report.ok) process.stdout.write(human`ok: ${report.verified} entries included in ${report.origin} at size ${report.treeSize}, checked against ${against}\n`);
        }
        if (!report.ok) process.exitCode = EXIT.failed;
      }),
    );
}
