// Text for people: a value taken from a record or a request is shown so that it cannot forge the
// output around it. A newline in a field would print a second, made-up entry; an escape sequence
// could clear the screen or recolour a line; a bidi override reorders what the reader sees.
// Everything printed for people passes through here; JSON output is left to JSON.stringify.

// C0 controls and DEL, C1 controls (U+009B is CSI on 8-bit terminals), the line and paragraph
// separators, and every bidi mark, embedding, override and isolate.
// eslint-disable-next-line no-control-regex -- control characters are exactly what must not reach a terminal raw
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

// What JSON.stringify leaves raw in a string: DEL, C1, separators and bidi controls (it escapes C0 itself).
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeOne(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.codePointAt(0) ?? 0;
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
}

/** One value for a human line: every control character, separator and bidi control written as a visible escape. */
export function escapeControls(value: string): string {
  return value.replace(UNSAFE, escapeOne);
}

/**
 * A tagged template for human output: the literal text (the printer's own layout, newlines included)
 * stays as written, every interpolated value is escaped. `human\`${id}  ${resource}\n\``.
 */
export function human(strings: TemplateStringsArray, ...values: unknown[]): string {
  let out = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) out += escapeControls(String(values[i])) + (strings[i + 1] ?? "");
  return out;
}

/**
 * JSON pretty-printed for a terminal. JSON.stringify already writes C0 controls as \uXXXX; the C1
 * controls, separators and bidi controls it leaves raw are written the same way, so the text is
 * still the same JSON.
 */
export function humanJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(UNSAFE_IN_JSON, (char) => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`);
}
