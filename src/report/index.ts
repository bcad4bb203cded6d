// Evidence packs: what the ledger shows per framework control, with the offline-verifiable bundle of every record cited.
export { FRAMEWORK_IDS, FRAMEWORKS, controlOf, isFrameworkId, type Framework, type FrameworkId } from "./frameworks.js";
export { MAX_LISTED, REPORT_FORMAT, SAMPLES_PER_CONTROL, buildEvidence, type ControlEvidence, type EvidenceReport } from "./evidence.js";
export { escapeHtml, renderHtml } from "./html.js";
export { CHROMIUM_ENV, findChromium } from "./pdf.js";
export { PACK_FILES, writeEvidencePack, type PackInput, type PackResult } from "./write.js";
