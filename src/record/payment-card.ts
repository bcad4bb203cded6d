// Payment card numbers: 13 to 19 digits, optionally grouped by spaces, dashes, dots or slashes (full-width and other
// compatibility forms too), masked only when the Luhn check holds.

/** ISO/IEC 7812-1 Annex B (the Luhn formula): true when the digit string's check digit is right. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

const MIN_DIGITS = 13;
const MAX_DIGITS = 19;
const MIN_GROUP = 3;

/**
 * Digit groups joined by single separators, not touching another digit, a letter or an underscore (in
 * the normalised text): digits glued to letters are part of an identifier, such as the hex groups of a
 * UUID (`apr_01a24d6f-d8d7-733e-a781-968926585632` holds the Luhn-valid "781-968926585632"), and a card
 * number stands apart from the words around it (word boundaries, as DLP detectors draw them).
 */
const RUN = /(?<![\dA-Za-z_])\d+(?:[ ./-]\d+)*(?![\dA-Za-z_])/g;
const SEPARATORS = /[ ./-]/g;
/** Dashes NFKC leaves alone but people type between digit groups: hyphen, non-breaking hyphen, figure dash, en dash, minus. */
const DASHES = /[\u2010\u2011\u2012\u2013\u2212]/;

interface Normalised {
  text: string;
  /** For each UTF-16 unit of `text`, the offset in the original of the code point it came from; one more entry for the end. */
  from: number[];
}

/**
 * NFKC of each code point on its own, so that full-width (U+FF10…), mathematical or other compatibility
 * digits and separators read as ASCII, with a map back to the original offsets. Per code point, not
 * per string: composition across characters never yields a digit or a separator, and the map stays exact.
 */
function normalise(text: string): Normalised {
  if (!/[\u0080-\uffff]/.test(text)) return { text, from: [] };
  let out = "";
  const from: number[] = [];
  let at = 0;
  for (const ch of text) {
    let n = ch.normalize("NFKC");
    if (DASHES.test(n)) n = "-";
    out += n;
    for (let k = 0; k < n.length; k++) from.push(at);
    at += ch.length;
  }
  from.push(at);
  return { text: out, from };
}

interface Group {
  start: number;
  end: number;
  digits: number;
}

/**
 * Spans [start, end) of every window of whole digit groups (each but the last of 3 or more
 * digits) holding 13 to 19 digits that passes the Luhn check. A longer run ("order 12 4111 1111 1111 1111") is searched window by window, so a
 * card inside it is found whatever digits stand around it.
 */
function cardSpans(run: string, offset: number): [number, number][] {
  const groups: Group[] = [];
  for (const m of run.matchAll(/\d+/g)) groups.push({ start: m.index, end: m.index + m[0].length, digits: m[0].length });
  const spans: [number, number][] = [];
  for (let i = 0; i < groups.length; i++) {
    let count = 0;
    for (let j = i; j < groups.length; j++) {
      // Printed cards group digits by 4 to 6 with a shorter last group at most; a run of tiny groups is a list of numbers, not a card.
      if (j > i && (groups[j - 1] as Group).digits < MIN_GROUP) break;
      count += (groups[j] as Group).digits;
      if (count > MAX_DIGITS) break;
      if (count < MIN_DIGITS) continue;
      const start = (groups[i] as Group).start;
      const end = (groups[j] as Group).end;
      if (luhnValid(run.slice(start, end).replace(SEPARATORS, ""))) spans.push([offset + start, offset + end]);
    }
  }
  return spans;
}

/** The original offset just past the code point that normalised text ending at `end` ends inside. */
function originalEnd(from: readonly number[], end: number): number {
  const last = from[end - 1] as number;
  let k = end;
  while ((from[k] as number) <= last) k++;
  return from[k] as number;
}

/** Spans [start, end) of the Luhn-valid card numbers in `text`, in original offsets, sorted, overlapping finds merged. */
export function paymentCardSpans(text: string): [number, number][] {
  const normal = normalise(text);
  const spans: [number, number][] = [];
  for (const m of normal.text.matchAll(RUN)) {
    if (m[0].replace(SEPARATORS, "").length >= MIN_DIGITS) spans.push(...cardSpans(m[0], m.index));
  }
  if (spans.length === 0) return spans;
  if (normal.from.length > 0) {
    for (const span of spans) {
      span[0] = normal.from[span[0]] as number;
      span[1] = originalEnd(normal.from, span[1]);
    }
  }
  spans.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const span of spans) {
    const current = merged[merged.length - 1];
    if (current && span[0] < current[1]) current[1] = Math.max(current[1], span[1]);
    else merged.push([span[0], span[1]]);
  }
  return merged;
}

/** The digits of a card number as found (full-width or spaced alike), so that one card always reads the same. */
export function cardDigits(found: string): string {
  return found.normalize("NFKC").replace(/\D/g, "");
}

/** Replaces every Luhn-valid card number in `text` by `marker`; overlapping finds merge into one. */
export function maskPaymentCards(text: string, marker: string): { text: string; count: number } {
  const spans = paymentCardSpans(text);
  if (spans.length === 0) return { text, count: 0 };
  let out = "";
  let at = 0;
  for (const [start, end] of spans) {
    out += text.slice(at, start) + marker;
    at = end;
  }
  return { text: out + text.slice(at), count: spans.length };
}
