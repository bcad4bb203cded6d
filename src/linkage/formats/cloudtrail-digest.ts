// CloudTrail digest files: structure checked, listed log files matched against the files read (signatures are not checked).
import { basename } from "node:path";
import type { JsonObject } from "../../record/index.js";
import { skip, type Imported, type Position } from "../event.js";
import type { FileFacts } from "../input.js";
import { textAt, timeOf } from "../json-path.js";
import { isObject } from "./importer.js";

const HEX64 = /^[0-9a-f]{64}$/;
const REQUIRED = ["awsAccountId", "digestStartTime", "digestEndTime", "digestS3Bucket", "digestS3Object", "digestSignatureAlgorithm", "digestPublicKeyFingerprint"];

interface Listed {
  digest: string;
  name: string;
  hash: string;
}

/**
 * Per the CloudTrail digest file structure: each logFiles entry names an S3 object and the SHA-256
 * of its uncompressed content. The RSA signature of a digest sits in S3 object metadata and needs
 * AWS's public key for the fingerprint, so it is reported as not verified rather than guessed at.
 */
export class DigestCheck {
  private readonly listed: Listed[] = [];
  private readonly problems: string[] = [];
  private readonly digestFiles = new Set<string>();
  private count = 0;

  add(value: Record<string, unknown>, at: Position): Imported {
    this.count++;
    this.digestFiles.add(at.file);
    const where = `${at.file} (digest)`;
    const missing = REQUIRED.filter((field) => textAt(value, field) === undefined);
    if (missing.length) this.problems.push(`${where}: missing ${missing.join(", ")}`);
    const start = timeOf(value.digestStartTime);
    const end = timeOf(value.digestEndTime);
    if (start !== undefined && end !== undefined && start >= end) this.problems.push(`${where}: digestStartTime is not before digestEndTime`);
    if (!Array.isArray(value.logFiles)) {
      this.problems.push(`${where}: logFiles is not an array`);
      return skip("wrong_format", `${where} has no logFiles array`);
    }
    value.logFiles.forEach((entry, i) => {
      const object = isObject(entry) ? textAt(entry, "s3Object") : undefined;
      const hash = isObject(entry) ? textAt(entry, "hashValue") : undefined;
      if (object === undefined || hash === undefined || !HEX64.test(hash) || textAt(entry, "hashAlgorithm") !== "SHA-256") {
        this.problems.push(`${where}: logFiles[${i}] needs s3Object, a 64-hex hashValue and hashAlgorithm SHA-256`);
        return;
      }
      this.listed.push({ digest: at.file, name: basename(object), hash });
    });
    return { kind: "ignore", reason: "cloudtrail_digest" };
  }

  report(files: readonly FileFacts[]): JsonObject | undefined {
    if (this.count === 0) return undefined;
    const byName = new Map(files.map((f) => [basename(f.file), f]));
    const verified: string[] = [];
    const mismatched: string[] = [];
    const absent: string[] = [];
    for (const entry of this.listed) {
      const file = byName.get(entry.name);
      if (file?.sha256 === undefined) absent.push(entry.name);
      else if (file.sha256 === entry.hash) verified.push(entry.name);
      else mismatched.push(entry.name);
    }
    const listedNames = new Set(this.listed.map((l) => l.name));
    const unlisted = files.filter((f) => f.sha256 !== undefined && !listedNames.has(basename(f.file)) && !this.digestFiles.has(f.file)).map((f) => basename(f.file));
    return {
      digests: this.count,
      structure_problems: this.problems,
      log_files_listed: this.listed.length,
      verified,
      hash_mismatch: mismatched,
      not_provided: absent,
      not_in_any_digest: unlisted,
      signature: "not verified: a digest's SHA256withRSA signature is in its S3 object metadata and needs AWS's public key for digestPublicKeyFingerprint",
    };
  }
}
