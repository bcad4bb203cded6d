// The JSONPath subset mask obligations name fields with (RFC 9535 syntax): $, .name, ..name, .*, [n], [*], ['name'].
// One grammar: policy validation refuses a @mask_fields path this parser does not read, so every path an
// active policy set names is one every masker applies.

export type JsonPathSegment =
  | { kind: "child"; name: string }
  | { kind: "descendant"; name: string }
  | { kind: "index"; index: number }
  | { kind: "wildcard" };

const TOKEN = /^(?:\.\.([A-Za-z_][A-Za-z0-9_-]*)|\.([A-Za-z_][A-Za-z0-9_-]*)|\.\*|\[\*\]|\[([0-9]+)\]|\['([^'\\]+)'\])/;

/** Parses a path; undefined when it is outside the subset. */
export function parseJsonPath(path: string): JsonPathSegment[] | undefined {
  if (!path.startsWith("$")) return undefined;
  const segments: JsonPathSegment[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    const m = TOKEN.exec(rest);
    if (!m) return undefined;
    if (m[1] !== undefined) segments.push({ kind: "descendant", name: m[1] });
    else if (m[2] !== undefined) segments.push({ kind: "child", name: m[2] });
    else if (m[3] !== undefined) segments.push({ kind: "index", index: Number(m[3]) });
    else if (m[4] !== undefined) segments.push({ kind: "child", name: m[4] });
    else segments.push({ kind: "wildcard" });
    rest = rest.slice(m[0].length);
  }
  return segments;
}
