// RFC 6962 hashing against transparency-dev/merkle's rfc6962 hasher vectors.
import { describe, expect, it } from "vitest";
import { EMPTY_ROOT, HASH_SIZE, isHash, leafHash, nodeHash } from "../../../src/ledger/merkle/index.js";
import { hex, rfc6962 } from "./vectors.js";

describe("RFC 6962 hashing", () => {
  const v = rfc6962.hasher;

  it("EMPTY_ROOT is SHA-256 of the empty string", () => {
    expect(EMPTY_ROOT.toString("hex")).toBe(v.emptyRootHex);
    expect(EMPTY_ROOT).toHaveLength(HASH_SIZE);
  });

  it("hashes an empty leaf differently from the empty tree", () => {
    expect(leafHash(new Uint8Array()).toString("hex")).toBe(v.emptyLeafHex);
  });

  it("matches the leaf and node vectors", () => {
    expect(leafHash(Buffer.from(v.leaf.inputAscii)).toString("hex")).toBe(v.leaf.hashHex);
    expect(nodeHash(Buffer.from(v.node.leftAscii), Buffer.from(v.node.rightAscii)).toString("hex")).toBe(v.node.hashHex);
  });

  it("hashes every leaf input of the test tree as level 0 of its node hashes", () => {
    rfc6962.leafInputsHex.forEach((input, i) => {
      expect(leafHash(hex(input)).toString("hex")).toBe(rfc6962.nodeHashesHex[0]?.[i]);
    });
  });

  it("separates leaves from nodes and depends on child order", () => {
    const a = leafHash(Buffer.from("Hello"));
    const b = leafHash(Buffer.from("World"));
    expect(a.equals(b)).toBe(false);
    const parent = nodeHash(a, b);
    expect(parent.equals(leafHash(Buffer.concat([a, b])))).toBe(false);
    expect(parent.equals(nodeHash(b, a))).toBe(false);
  });

  it("isHash accepts exactly 32-byte arrays", () => {
    expect(isHash(Buffer.alloc(32))).toBe(true);
    expect(isHash(new Uint8Array(32))).toBe(true);
    expect(isHash(Buffer.alloc(31))).toBe(false);
    expect(isHash("x".repeat(32))).toBe(false);
  });
});
