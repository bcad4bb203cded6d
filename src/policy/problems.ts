// What is wrong with a policy set, each problem placed at a file, line and column where one is known.
import { ArbiterError } from "../record/errors.js";

export interface PolicyProblem {
  /** Path relative to the policy directory, or `built-in schema`, or `policy <id>` for stored content. */
  file: string;
  line?: number;
  column?: number;
  /** The policy's @id when the problem belongs to one policy. */
  policy?: string;
  message: string;
}

/** Where a problem sits: the text it was found in and the offset of that text inside its file. */
export interface SourceSpan {
  file: string;
  text: string;
  offset: number;
}

/** 1-based line and column of a UTF-16 offset (Cedar's offsets count characters of the text it was given). */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/** A problem at `offset` within `span.text`; `span.text` sits at `span.offset` of its file. */
export function problemAt(span: SourceSpan & { fileText: string }, offset: number | undefined, message: string, policy?: string): PolicyProblem {
  const base: PolicyProblem = { file: span.file, message, ...(policy !== undefined ? { policy } : {}) };
  if (offset === undefined) return base;
  return { ...base, ...lineColumn(span.fileText, span.offset + offset) };
}

export function formatProblem(p: PolicyProblem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
  return `${where}: ${p.policy !== undefined ? `[${p.policy}] ` : ""}${p.message}`;
}

function compare(a: PolicyProblem, b: PolicyProblem): number {
  return a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0) || a.message.localeCompare(b.message);
}

/** The whole set is refused: a partly valid set could drop a forbid and so grant what it should not. */
export function policyInvalid(problems: readonly PolicyProblem[]): ArbiterError {
  const sorted = [...problems].sort(compare);
  const first = sorted[0];
  const more = sorted.length > 1 ? ` (and ${sorted.length - 1} more)` : "";
  return new ArbiterError(
    "POLICY_INVALID",
    `the policy set was refused: ${first ? formatProblem(first) : "no detail"}${more}`,
    { problems: sorted },
  );
}
