// Public face of the RFC 6962 / RFC 9162 Merkle tree core: hashing, compact ranges, proofs and verification.
export { EMPTY_ROOT, HASH_SIZE, isHash, leafHash, nodeHash, type Hash } from "./hash.js";
export { CompactRange, peakAddresses, popcount, requireTreeCount, rootFromPeaks } from "./compact.js";
export {
  assembleConsistencyProof,
  assembleInclusionProof,
  consistencyProof,
  consistencyProofAddresses,
  inclusionProof,
  inclusionProofAddresses,
  treeHash,
  treeHashAddresses,
  type HashAddress,
  type ReadHashes,
} from "./prove.js";
export { rootFromInclusionProof, verifyConsistency, verifyInclusion } from "./verify.js";
