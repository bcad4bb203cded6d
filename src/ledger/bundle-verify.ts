// Verifying an evidence bundle from its files alone; every byte of it is treated as hostile.
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ArbiterError } from "../record/errors.js";
import { BUNDLE_FILES, bundleManifestSchema, entryFile, proofFile, type BundleManifest } from "./bundle.js";
import { openCheckpoint, type Checkpoint } from "./checkpoint.js";
import { leafHash, verifyInclusion } from "./merkle/index.js";
import { verifierFromVkey } from "./note.js";
import { parseInclusionProof } from "./proof-text.js";
import { MAX_LEAF_BYTES } from "./verify.js";

const MAX_TEXT_BYTES = 1 << 20;
const MAX_MANIFEST_BYTES = 256 << 20;

export interface BundleVerifyOptions {
  /** The verifier key the auditor trusts, obtained out of band. */
  trustedVkey?: string;
  /**
   * Check the bundle against its own verifier key instead (reported as unpinned). This proves only
   * that the bundle is internally consistent: anyone can sign a forged bundle with a key of their own.
   */
  trustBundleKey?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface BundleVerification {
  ok: boolean;
  keyPinned: boolean;
  origin: string;
  treeSize: number;
  root: string;
  verified: number;
  failures: { index: number | null; problem: string }[];
  /** Files in the bundle that the manifest does not list (not verified, not trusted). */
  unlisted: string[];
}

function bundleError(message: string): ArbiterError {
  return new ArbiterError("BUNDLE_INVALID", message);
}

function readBounded(dir: string, name: string, limit: number): Buffer {
  const path = join(dir, name);
  if (!existsSync(path)) throw bundleError(`${name} is missing from the bundle`);
  const stat = lstatSync(path);
  if (!stat.isFile()) throw bundleError(`${name} is not a regular file`);
  if (stat.size > limit) throw bundleError(`${name} is ${stat.size} bytes, over the ${limit}-byte limit`);
  return readFileSync(path);
}

function readManifest(dir: string): BundleManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readBounded(dir, BUNDLE_FILES.manifest, MAX_MANIFEST_BYTES).toString("utf8"));
  } catch (err) {
    if (err instanceof ArbiterError) throw err;
    throw bundleError(`${BUNDLE_FILES.manifest} is not JSON`);
  }
  const result = bundleManifestSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw bundleError(`${BUNDLE_FILES.manifest}: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
  }
  if (result.data.count !== result.data.indexes.length) {
    throw bundleError(`${BUNDLE_FILES.manifest}: count ${result.data.count} does not match ${result.data.indexes.length} indexes`);
  }
  return result.data;
}

function verifyEntry(dir: string, index: number, checkpoint: Checkpoint, checkpointText: string): string | undefined {
  if (index >= checkpoint.size) return `entry ${index} lies outside the checkpoint (size ${checkpoint.size})`;
  let entry: Buffer;
  let proofText: string;
  try {
    entry = readBounded(join(dir, BUNDLE_FILES.entries), entryFile(index), MAX_LEAF_BYTES);
    proofText = readBounded(join(dir, BUNDLE_FILES.proofs), proofFile(index), MAX_TEXT_BYTES).toString("utf8");
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  try {
    const proof = parseInclusionProof(proofText);
    if (proof.index !== index) return `proof file of entry ${index} proves index ${proof.index}`;
    if (proof.checkpoint !== checkpointText) return `proof of entry ${index} is against a different checkpoint`;
    verifyInclusion(leafHash(entry), index, checkpoint.size, proof.proof, checkpoint.root);
  } catch (err) {
    return `entry ${index}: ${err instanceof Error ? err.message : String(err)}`;
  }
  return undefined;
}

/** Checks a bundle written by exportBundle: key, checkpoint signature, every entry's inclusion proof. */
export function verifyBundle(dir: string, options: BundleVerifyOptions = {}): BundleVerification {
  if (!existsSync(dir) || !lstatSync(dir).isDirectory()) throw bundleError(`${dir} is not a directory`);
  const trusted = options.trustedVkey?.trim();
  if (trusted === "") throw new ArbiterError("USAGE", "the trusted verifier key is empty");
  if (trusted !== undefined && options.trustBundleKey) {
    throw new ArbiterError("USAGE", "give either a trusted verifier key or trust the bundle's own key, not both");
  }
  // Fail closed: a bundle's own key proves nothing about who signed it, so it is used only when asked for.
  if (trusted === undefined && !options.trustBundleKey) {
    throw new ArbiterError("USAGE", "no trusted verifier key: a bundle signed with its own key proves nothing about who signed it");
  }
  const manifest = readManifest(dir);
  const bundledVkey = readBounded(dir, BUNDLE_FILES.verifierKey, 4096).toString("utf8").trim();
  const vkey = trusted ?? bundledVkey;
  const verifier = verifierFromVkey(vkey);
  const checkpointText = readBounded(dir, BUNDLE_FILES.checkpoint, MAX_TEXT_BYTES).toString("utf8");
  const checkpoint = openCheckpoint(checkpointText, verifier, manifest.origin);
  if (checkpoint.size !== manifest.tree_size || checkpoint.root.toString("base64") !== manifest.root) {
    throw bundleError("the manifest's tree size or root differs from the signed checkpoint");
  }

  const failures: BundleVerification["failures"] = [];
  let verified = 0;
  const listed = new Set<number>();
  manifest.indexes.forEach((index, done) => {
    if (listed.has(index)) {
      failures.push({ index, problem: `entry ${index} is listed twice` });
      return;
    }
    listed.add(index);
    const problem = verifyEntry(dir, index, checkpoint, checkpointText);
    if (problem) failures.push({ index, problem });
    else verified++;
    if (options.onProgress && (done & 0x3ff) === 0) options.onProgress(done, manifest.indexes.length);
  });
  options.onProgress?.(manifest.indexes.length, manifest.indexes.length);

  const unlisted: string[] = [];
  for (const [sub, nameOf] of [[BUNDLE_FILES.entries, entryFile], [BUNDLE_FILES.proofs, proofFile]] as const) {
    const path = join(dir, sub);
    if (!existsSync(path)) continue;
    const expected = new Set([...listed].map(nameOf));
    for (const name of readdirSync(path)) if (!expected.has(name)) unlisted.push(`${sub}/${name}`);
  }
  return {
    ok: failures.length === 0,
    keyPinned: trusted !== undefined,
    origin: checkpoint.origin,
    treeSize: checkpoint.size,
    root: manifest.root,
    verified,
    failures,
    unlisted,
  };
}
