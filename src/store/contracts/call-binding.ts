// What ties an approval or a grant to one exact call; the digest is computed by decide/ (binding.ts).
export interface CallBinding {
  subjectId: string;
  action: string;
  resourceType: string;
  resourceId: string;
  argsDigest: string;
}
