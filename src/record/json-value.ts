// Free-form JSON inside a record (attributes, sensitive values) is checked to be I-JSON, with a path to the first problem.
import { z } from "zod";
import { LONE_SURROGATE } from "./canonical.js";

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

/** Source-specific detail has no business nesting deeper; the limit also bounds recursion on hostile input. */
const MAX_FREE_JSON_DEPTH = 32;

export interface JsonProblem {
  path: (string | number)[];
  problem: string;
}

/**
 * The first reason `value` cannot be encoded as I-JSON (RFC 7493), or undefined. Object members
 * that are undefined are skipped, as canonicalize() skips them.
 */
export function findJsonProblem(value: unknown, maxDepth = MAX_FREE_JSON_DEPTH): JsonProblem | undefined {
  return walk(value, maxDepth, maxDepth);
}

// The path is built while unwinding, so valid data (the hot path) allocates nothing.
function walk(value: unknown, depthLeft: number, maxDepth: number): JsonProblem | undefined {
  switch (typeof value) {
    case "string":
      return LONE_SURROGATE.test(value) ? at([], "contains a lone surrogate, which is not valid Unicode") : undefined;
    case "number":
      return Number.isFinite(value) ? undefined : at([], `${String(value)} is not a JSON number`);
    case "boolean":
      return undefined;
    case "object": {
      if (value === null) return undefined;
      if (depthLeft === 0) return at([], `nested deeper than ${maxDepth} levels`);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          const p = item === undefined ? at([], "undefined is not a JSON value") : walk(item, depthLeft - 1, maxDepth);
          if (p !== undefined) return within(i, p);
        }
        return undefined;
      }
      if (!isPlainObject(value)) return at([], "expected plain JSON data, not a class instance");
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        if (LONE_SURROGATE.test(key)) return at([key], "the key contains a lone surrogate");
        const member = value[key];
        const p = member === undefined ? undefined : walk(member, depthLeft - 1, maxDepth);
        if (p !== undefined) return within(key, p);
      }
      return undefined;
    }
    default:
      return at([], `a ${typeof value} is not a JSON value`);
  }
}

const at = (path: (string | number)[], problem: string): JsonProblem => ({ path, problem });

function within(key: string | number, problem: JsonProblem): JsonProblem {
  problem.path.unshift(key);
  return problem;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A JSON object of source-specific detail. */
export const jsonObjectSchema = z.custom<JsonObject>().superRefine((value, ctx) => {
  if (!isPlainObject(value)) {
    ctx.addIssue({ code: "custom", message: "expected a JSON object" });
    return;
  }
  const p = findJsonProblem(value);
  if (p !== undefined) ctx.addIssue({ code: "custom", path: p.path, message: p.problem });
});

/**
 * An object used as a map from names to values; members set to undefined count as absent, as in
 * canonicalize(). Checked in place and returned by reference because z.record silently drops a
 * "__proto__" key, which would make the record differ from its input.
 */
export function mapSchema<V>(
  key: { pattern: RegExp; problem: string },
  valueProblem: (value: unknown) => string | undefined,
) {
  return z.custom<Record<string, V>>().superRefine((value, ctx) => {
    if (!isPlainObject(value)) {
      ctx.addIssue({ code: "custom", message: "expected a JSON object" });
      return;
    }
    for (const [name, member] of Object.entries(value)) {
      if (member === undefined) continue;
      const problem = !key.pattern.test(name) || name === "__proto__" ? key.problem : valueProblem(member);
      if (problem !== undefined) ctx.addIssue({ code: "custom", path: [name], message: problem });
    }
  });
}
