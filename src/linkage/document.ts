// The elements of a JSON array inside a document, read one by one so a truncated file still yields its complete records.

export type Element = { index: number; text: string } | { index: number; truncated: string };

/** Index just past the JSON value starting at `i`, or -1 when the text ends first. Strings are skipped with their escapes. */
function valueEnd(text: string, i: number): number {
  const first = text[i];
  if (first === '"') {
    let j = i + 1;
    for (; j < text.length && text.charCodeAt(j) !== 0x22; j++) if (text.charCodeAt(j) === 0x5c) j++;
    return j < text.length ? j + 1 : -1;
  }
  if (first !== "{" && first !== "[") {
    let j = i;
    while (j < text.length && text[j] !== "," && text[j] !== "]" && text[j] !== "}") j++;
    return j < text.length ? j : -1;
  }
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x22) {
      for (j++; j < text.length && text.charCodeAt(j) !== 0x22; j++) if (text.charCodeAt(j) === 0x5c) j++;
      if (j >= text.length) return -1;
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if ((c === 0x7d || c === 0x5d) && --depth === 0) return j + 1;
  }
  return -1;
}

/** Elements of the array whose `[` is at `open`, in order; a cut-off last element comes back as `truncated`. */
export function* arrayElements(text: string, open: number): Generator<Element> {
  let i = open + 1;
  let index = 0;
  for (;;) {
    while (i < text.length && /[\s,]/.test(text[i] as string)) i++;
    if (i >= text.length) {
      yield { index: index + 1, truncated: "the document ends inside its array (truncated file)" };
      return;
    }
    if (text[i] === "]") return;
    const end = valueEnd(text, i);
    index++;
    if (end < 0) {
      yield { index, truncated: `record ${index} is cut off at the end of the file (truncated file)` };
      return;
    }
    yield { index, text: text.slice(i, end) };
    i = end;
  }
}

/** Where the array of a top-level member starts (`{"Records": [`), or -1. Only the document's first member is looked at. */
export function memberArrayStart(text: string, member: string): number {
  const m = new RegExp(`^\\s*\\{\\s*"${member}"\\s*:\\s*\\[`).exec(text.slice(0, 256));
  return m === null ? -1 : m[0].length - 1;
}
