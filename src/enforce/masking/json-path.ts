// Applying a path of the JSONPath subset mask obligations use (its grammar: record/json-path.ts) to a parsed payload.
import type { JsonPathSegment } from "../../record/index.js";

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === "object" && value !== null;
}

function member(key: string | number): string {
  return typeof key === "number" ? `[${key}]` : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? `.${key}` : `['${key}']`;
}

function entries(value: Container): [string | number, unknown][] {
  return Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
}

/**
 * Replaces, in place, every value the path selects inside `root` (a parsed JSON container) with
 * `replace(value)`; calls `hit` with the concrete location of each (`at` + the member path).
 * The root itself is never replaced: a path must name a member.
 */
export function replaceAtPath(root: unknown, segments: readonly JsonPathSegment[], at: string, replace: (value: unknown) => unknown, hit: (location: string) => void): void {
  if (segments.length === 0) return;
  const visit = (value: unknown, i: number, where: string): void => {
    if (!isContainer(value)) return;
    const segment = segments[i] as JsonPathSegment;
    const last = i === segments.length - 1;
    const apply = (key: string | number): void => {
      const container = value as Record<string | number, unknown>;
      if (!Object.hasOwn(container, key)) return;
      const location = where + member(key);
      if (last) {
        container[key] = replace(container[key]);
        hit(location);
      } else {
        visit(container[key], i + 1, location);
      }
    };
    switch (segment.kind) {
      case "child":
        if (!Array.isArray(value)) apply(segment.name);
        return;
      case "index":
        if (Array.isArray(value)) apply(segment.index);
        return;
      case "wildcard":
        for (const [key] of entries(value)) apply(key);
        return;
      case "descendant":
        if (!Array.isArray(value)) apply(segment.name);
        // Read after the replacement above: a member just masked is a marker now, with nothing left to search.
        for (const [key, child] of entries(value)) visit(child, i, where + member(key));
        return;
    }
  };
  visit(root, 0, at);
}
