// YAML files of a policy directory (limits, test cases) parsed against a zod schema, problems placed at their line.
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import type { PolicyProblem } from "./problems.js";

export interface YamlParse<T> {
  value: T | undefined;
  problems: PolicyProblem[];
  /** Where the node at `path` starts, for problems found after parsing. */
  at: (path: readonly (string | number)[]) => { line?: number; column?: number };
}

export function parseYaml<S extends z.ZodType>(text: string, file: string, schema: S): YamlParse<z.output<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number | undefined) => {
    if (offset === undefined) return {};
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const at = (path: readonly (string | number)[]) => {
    const node: unknown = doc.getIn(path, true);
    const range = typeof node === "object" && node !== null && "range" in node ? (node as { range?: readonly number[] }).range : undefined;
    return position(range?.[0]);
  };
  if (doc.errors.length > 0) {
    return { value: undefined, problems: doc.errors.map((e) => ({ file, ...position(e.pos[0]), message: e.message })), at };
  }
  const parsed = schema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return { value: parsed.data, problems: [], at };
  return {
    value: undefined,
    problems: parsed.error.issues.map((issue) => {
      // A missing member has no node of its own: point at the nearest enclosing one.
      const path = issue.path as (string | number)[];
      let place = at(path);
      for (let n = path.length - 1; place.line === undefined && n >= 0; n--) place = at(path.slice(0, n));
      return { file, ...place, message: `${path.length ? `${path.join(".")}: ` : ""}${issue.message}` };
    }),
    at,
  };
}
