// Checks a decision's c2sp.org/tlog-proof@v1 inclusion proof end to end in the browser: leaf bytes, audit path, signed checkpoint.
import { decodeBase64, encodeBase64, equalBytes } from "./bytes.js";
import { HASH_SIZE, leafHash, rootFromInclusionProof } from "./merkle.js";
import { openNote, parseVerifierKey } from "./note.js";

export interface ProofVerdict {
  ok: boolean;
  /** What was checked, in order; the last one failed when ok is false. */
  steps: string[];
  reason?: string;
  checkpoint?: { origin: string; size: number; root: string };
  index?: number;
}

// A tree of at most 2^53-1 leaves has proofs of at most 54 hashes.
const MAX_PROOF_HASHES = 64;
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

function parseProofText(text: string): { index: number; hashes: Uint8Array[]; checkpoint: string } | string {
  const lines = text.split("\n");
  let at = 0;
  if (lines[at++] !== "c2sp.org/tlog-proof@v1") return "the proof is not c2sp.org/tlog-proof@v1";
  if (lines[at]?.startsWith("extra ")) at++;
  const indexLine = lines[at++] ?? "";
  const indexText = indexLine.slice("index ".length);
  if (!indexLine.startsWith("index ") || !DECIMAL.test(indexText) || !Number.isSafeInteger(Number(indexText))) return "the proof has no valid index line";
  const hashes: Uint8Array[] = [];
  for (let line = lines[at++]; line !== ""; line = lines[at++]) {
    const hash = line === undefined ? undefined : decodeBase64(line);
    if (!hash || hash.length !== HASH_SIZE) return `proof line ${hashes.length} is not a base64 32-byte hash`;
    if (hashes.length === MAX_PROOF_HASHES) return "the proof has too many hashes";
    hashes.push(hash);
  }
  return { index: Number(indexText), hashes, checkpoint: lines.slice(at).join("\n") };
}

function parseCheckpoint(text: string): { origin: string; size: number; root: Uint8Array } | string {
  const [origin = "", size = "", root = ""] = text.split("\n");
  const rootBytes = decodeBase64(root);
  if (origin.length === 0 || !DECIMAL.test(size) || !Number.isSafeInteger(Number(size)) || !rootBytes || rootBytes.length !== HASH_SIZE) return "the checkpoint is malformed";
  return { origin, size: Number(size), root: rootBytes };
}

/**
 * Verifies that `entry` (the exact leaf bytes) is at `expectedIndex` in the tree that a checkpoint
 * signed by `verifierKey` commits to, following the proof. Every input is treated as hostile.
 */
export async function verifyInclusion(entry: Uint8Array, expectedIndex: number, proofText: string, verifierKey: string): Promise<ProofVerdict> {
  const steps: string[] = [];
  const fail = (reason: string): ProofVerdict => ({ ok: false, steps, reason });
  const key = await parseVerifierKey(verifierKey);
  if (typeof key === "string") return fail(key);
  steps.push(`verifier key ${key.name} parsed, key ID matches`);
  const proof = parseProofText(proofText);
  if (typeof proof === "string") return fail(proof);
  if (proof.index !== expectedIndex) return fail(`the proof is for entry ${proof.index}, not ${expectedIndex}`);
  steps.push(`proof for entry ${proof.index} with ${proof.hashes.length} hashes`);
  const opened = await openNote(proof.checkpoint, key);
  if ("reason" in opened) return fail(opened.reason);
  steps.push("checkpoint signature verified (Ed25519)");
  const checkpoint = parseCheckpoint(opened.text);
  if (typeof checkpoint === "string") return fail(checkpoint);
  if (checkpoint.origin !== key.name) return fail(`the checkpoint is for ${checkpoint.origin}, not ${key.name}`);
  const view = { origin: checkpoint.origin, size: checkpoint.size, root: encodeBase64(checkpoint.root) };
  const leaf = await leafHash(entry);
  steps.push(`leaf hash ${encodeBase64(leaf)}`);
  const root = await rootFromInclusionProof(leaf, proof.index, checkpoint.size, proof.hashes);
  if (typeof root === "string") return { ...fail(root), checkpoint: view };
  if (!equalBytes(root, checkpoint.root)) return { ...fail("the proof does not lead to the checkpoint's root"), checkpoint: view };
  steps.push(`root of tree size ${checkpoint.size} recomputed and matches the signed checkpoint`);
  return { ok: true, steps, checkpoint: view, index: proof.index };
}
