// Writing an evidence pack: report.json, report.html, the bundle of every cited record, and report.pdf when Chromium is there.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exportBundle, type Ledger } from "../ledger/index.js";
import type { PolicyStore } from "../policy/index.js";
import { ArbiterError } from "../record/index.js";
import { buildEvidence, type EvidenceReport } from "./evidence.js";
import type { FrameworkId } from "./frameworks.js";
import { renderHtml } from "./html.js";
import { findChromium, printPdf } from "./pdf.js";

export const PACK_FILES = { json: "report.json", html: "report.html", pdf: "report.pdf", bundle: "bundle" } as const;

export interface PackInput {
  ledger: Ledger;
  policies: Pick<PolicyStore, "get" | "activeVersion">;
  framework: FrameworkId;
  from: string;
  to: string;
  out: string;
  /** false: no PDF even when Chromium is there. */
  pdf?: boolean;
  env?: NodeJS.ProcessEnv;
  onProgress?: (done: number, total: number) => void;
}

export interface PackResult {
  report: EvidenceReport;
  files: string[];
  /** Why there is no report.pdf, when there is none. */
  pdfSkipped?: string;
}

export async function writeEvidencePack(input: PackInput): Promise<PackResult> {
  if (existsSync(input.out) && readdirSync(input.out).length > 0) throw new ArbiterError("USAGE", `${input.out} is not empty; choose a new directory for the evidence pack`);
  if (input.ledger.size() === 0) throw new ArbiterError("USAGE", "the ledger is empty: there is no evidence to report");
  const report = buildEvidence({ ledger: input.ledger, policies: input.policies, framework: input.framework, from: input.from, to: input.to, ...(input.onProgress ? { onProgress: input.onProgress } : {}) });
  mkdirSync(input.out, { recursive: true });
  const files = [PACK_FILES.json, PACK_FILES.html, PACK_FILES.bundle];
  exportBundle(input.ledger, join(input.out, PACK_FILES.bundle), { from: input.from, to: input.to, indexes: report.cited });
  writeFileSync(join(input.out, PACK_FILES.json), `${JSON.stringify(report, null, 1)}\n`);
  const html = renderHtml(report);
  writeFileSync(join(input.out, PACK_FILES.html), html);
  if (input.pdf === false) return { report, files, pdfSkipped: "not asked for (--no-pdf)" };
  const chromium = findChromium(input.env);
  if (!chromium) return { report, files, pdfSkipped: "no Chromium found (set $ARBITER_CHROMIUM to its path)" };
  await printPdf(chromium, html, join(input.out, PACK_FILES.pdf));
  return { report, files: [...files, PACK_FILES.pdf] };
}
