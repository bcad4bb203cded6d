// Typed access to the imported test vectors under test/fixtures (see the README files there for provenance).
import { readFileSync } from "node:fs";

function load<T>(relative: string): T {
  return JSON.parse(readFileSync(new URL(`../../fixtures/${relative}`, import.meta.url), "utf8")) as T;
}

export interface Rfc6962Vectors {
  leafInputsHex: string[];
  nodeHashesHex: string[][];
  rootHashesHex: string[];
  compactTrees: [number, number][][];
  hasher: {
    emptyRootHex: string;
    emptyLeafHex: string;
    leaf: { inputAscii: string; hashHex: string };
    node: { leftAscii: string; rightAscii: string; hashHex: string };
  };
  inclusionProofs: { leaf: number; size: number; proofHex: string[] }[];
  consistencyProofs: { size1: number; size2: number; proofHex: string[] }[];
  verifyRootsHex: string[];
}

/** leafIdx is a decimal string when it does not fit a double exactly (uint64 wrap-around in the source). */
export interface InclusionVector {
  file: string;
  leafIdx: number | string;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

export interface ConsistencyVector {
  file: string;
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

export interface GoSumdbVectors {
  origin: string;
  signer_seed_hex: string;
  vkey: string;
  skey: string;
  entries: string[];
  checkpoints: { size: number; root: string; checkpoint: string }[];
  inclusion: { index: number; size: number; proof: string }[];
  consistency: { old: number; size: number; proof: string }[];
}

export const rfc6962 = load<Rfc6962Vectors>("merkle/rfc6962-vectors.json");
export const inclusionVectors = load<{ vectors: InclusionVector[] }>("merkle/inclusion-vectors.json").vectors;
export const consistencyVectors = load<{ vectors: ConsistencyVector[] }>("merkle/consistency-vectors.json").vectors;
export const goSumdb = load<GoSumdbVectors>("ledger/go-sumdb-vectors.json");

export const hex = (text: string): Buffer => Buffer.from(text, "hex");
export const b64 = (text: string): Buffer => Buffer.from(text, "base64");
