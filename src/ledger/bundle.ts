// Offline evidence bundles: entries, their inclusion proofs, the checkpoint and the verifier key.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { ArbiterError } from "../record/errors.js";
import type { Ledger } from "./ledger.js";
import { inclusionProof } from "./merkle/index.js";
import { formatInclusionProof } from "./proof-text.js";

export const BUNDLE_FORMAT = "arbiter-evidence-bundle/v1";

export const BUNDLE_FILES = {
  manifest: "manifest.json",
  checkpoint: "checkpoint",
  verifierKey: "verifier.key",
  entries: "entries",
  proofs: "proofs",
  readme: "VERIFY.md",
} as const;

export const bundleManifestSchema = z
  .object({
    format: z.literal(BUNDLE_FORMAT),
    origin: z.string().min(1).max(1024),
    tree_size: z.number().int().min(1),
    root: z.string().max(64),
    from: z.string().nullable(),
    to: z.string().nullable(),
    created_at: z.string(),
    count: z.number().int().min(0),
    indexes: z.array(z.number().int().min(0)),
  })
  .strict();

export type BundleManifest = z.infer<typeof bundleManifestSchema>;

export interface ExportOptions {
  from?: string;
  to?: string;
  /** Exactly these entries (an evidence pack's citations) instead of every entry in [from, to); from and to only go in the manifest. */
  indexes?: readonly number[];
  onProgress?: (done: number, total: number) => void;
}

export const entryFile = (index: number): string => `${index}.json`;
export const proofFile = (index: number): string => `${index}.tlog-proof`;

const VERIFY_GUIDE = `# Verifying this evidence bundle

Every file here can be checked without access to the Arbiter that wrote it.

- \`verifier.key\`: the log's public key in the C2SP signed-note form \`name+keyid+base64\`.
  Compare it with the key you obtained from the log operator out of band: the bundle's copy
  is only a convenience and proves nothing by itself.
- \`checkpoint\`: a C2SP tlog-checkpoint, signed as a C2SP signed note.
- \`entries/N.json\`: the exact leaf bytes of ledger entry N (RFC 8785 canonical JSON).
- \`proofs/N.tlog-proof\`: a \`c2sp.org/tlog-proof@v1\` inclusion proof of entry N in the checkpoint.

With Arbiter: \`arbiter log verify-bundle DIR --vkey "$(cat trusted.vkey)"\`.

With Go (golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog): open the checkpoint with
\`note.Open(checkpoint, note.VerifierList(verifier))\`, parse size and root from its text, then for
entry N compute \`tlog.RecordHash(entryBytes)\` and call \`tlog.CheckRecord(proof, size, root, N, hash)\`
with the proof hashes from the tlog-proof file (one base64 hash per line after \`index N\`).
See docs/auditing.md in the Arbiter repository for a complete program.
`;

/** Writes an evidence bundle for the entries recorded in [from, to) (all entries if unbounded). */
export function exportBundle(ledger: Ledger, outDir: string, options: ExportOptions = {}): BundleManifest {
  if (existsSync(outDir) && readdirSync(outDir).length > 0) {
    throw new ArbiterError("USAGE", `${outDir} is not empty; choose a new directory for the bundle`, { outDir });
  }
  const cp = ledger.checkpoint();
  if (cp.size === 0) throw new ArbiterError("USAGE", "the ledger is empty: there is nothing to export");
  const bounded = options.from !== undefined || options.to !== undefined;
  const indexes = options.indexes
    ? [...new Set(options.indexes)].filter((index) => Number.isInteger(index) && index >= 0 && index < cp.size).sort((a, b) => a - b)
    : bounded
    ? ledger.reader
        .recordsBetween(options.from ?? "", options.to ?? "\uffff")
        .map((loc) => loc.index)
        .filter((index) => index < cp.size)
    : Array.from({ length: cp.size }, (_, i) => i);

  mkdirSync(join(outDir, BUNDLE_FILES.entries), { recursive: true });
  mkdirSync(join(outDir, BUNDLE_FILES.proofs), { recursive: true });
  const read = (a: Parameters<typeof ledger.reader.readHashes>[0]) => ledger.reader.readHashes(a);
  indexes.forEach((index, done) => {
    writeFileSync(join(outDir, BUNDLE_FILES.entries, entryFile(index)), ledger.entry(index));
    const proof = formatInclusionProof(index, inclusionProof(index, cp.size, read), cp.note);
    writeFileSync(join(outDir, BUNDLE_FILES.proofs, proofFile(index)), proof);
    if (options.onProgress && (done & 0x3ff) === 0) options.onProgress(done, indexes.length);
  });
  options.onProgress?.(indexes.length, indexes.length);

  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    origin: cp.origin,
    tree_size: cp.size,
    root: cp.root.toString("base64"),
    from: options.from ?? null,
    to: options.to ?? null,
    created_at: new Date().toISOString(),
    count: indexes.length,
    indexes,
  };
  writeFileSync(join(outDir, BUNDLE_FILES.checkpoint), cp.note);
  writeFileSync(join(outDir, BUNDLE_FILES.verifierKey), `${ledger.vkey}\n`);
  writeFileSync(join(outDir, BUNDLE_FILES.manifest), `${JSON.stringify(manifest, null, 1)}\n`);
  writeFileSync(join(outDir, BUNDLE_FILES.readme), VERIFY_GUIDE);
  return manifest;
}
