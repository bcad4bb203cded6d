// Reading outside logs: files or directories, gzip, encodings; lines streamed, JSON documents read whole.
import { createHash } from "node:crypto";
import { closeSync, createReadStream, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { createGunzip, gunzipSync, constants as zlib } from "node:zlib";
import { ArbiterError } from "../record/index.js";
import { arrayElements, memberArrayStart } from "./document.js";
import type { SkipReason } from "./event.js";

/** Where the events come from: a file or directory, inline text (JSON lines or a document), or inline JSON values. */
export type LinkInput = { path: string } | { text: string; name: string } | { values: readonly unknown[]; name: string };

export type Item =
  | { line: number; text: string; last?: boolean }
  | { line: number; value: unknown }
  | { line: number; skip: SkipReason; message: string };

/** What was learnt about a file while reading it, for the report. */
export interface FileFacts {
  file: string;
  encoding: string;
  problems: string[];
  /** SHA-256 of the decompressed bytes, when the file was read whole (CloudTrail digests list these). */
  sha256?: string;
}

export interface FileItems {
  facts: FileFacts;
  /** Bytes of the input file (as stored, compressed or not), and how many have been read so far. */
  size: number;
  read: () => number;
  /** Batches of items in file order; a file read whole comes in one batch. */
  batches: AsyncIterable<Item[]> | Iterable<Item[]>;
}

/** Lines longer than this are no log event; refused unread. */
export const MAX_LINE_BYTES = 1 << 20;
const GZIP = [0x1f, 0x8b];
const fatalUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Bytes (of files) or items (inline) the input holds, for progress. */
export function inputSize(input: LinkInput): number {
  if ("values" in input) return input.values.length;
  if ("text" in input) return input.text.length;
  return filesOf(input.path).reduce((sum, f) => sum + f.size, 0);
}

export function inputName(input: LinkInput): string {
  return "path" in input ? input.path : input.name;
}

/** Files of a path: the file itself, or every regular file below a directory in name order. */
function filesOf(path: string): { path: string; name: string; size: number }[] {
  let stat;
  try {
    stat = statSync(path);
  } catch (err) {
    throw new ArbiterError("USAGE", `cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!stat.isDirectory()) return [{ path, name: basename(path), size: stat.size }];
  const out: { path: string; name: string; size: number }[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push({ path: full, name: relative(path, full), size: statSync(full).size });
    }
  };
  walk(path);
  return out;
}

/** UTF-16 without a BOM shows as a zero byte in every other position of ASCII text. */
function sniffEncoding(head: Buffer): "utf-8" | "utf-8-bom" | "utf-16le" | "utf-16be" {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return "utf-8-bom";
  if (head[0] === 0xff && head[1] === 0xfe) return "utf-16le";
  if (head[0] === 0xfe && head[1] === 0xff) return "utf-16be";
  if (head.length >= 4 && head[1] === 0 && head[3] === 0 && head[0] !== 0) return "utf-16le";
  if (head.length >= 4 && head[0] === 0 && head[2] === 0 && head[1] !== 0) return "utf-16be";
  return "utf-8";
}

function decodeWhole(bytes: Buffer, encoding: ReturnType<typeof sniffEncoding>): string {
  if (encoding === "utf-16le" || encoding === "utf-16be") {
    const le = encoding === "utf-16be" ? Buffer.from(bytes).swap16() : bytes;
    return new TextDecoder("utf-16le").decode(le.length % 2 === 0 ? le : le.subarray(0, le.length - 1)).replace(/^\uFEFF/, "");
  }
  return bytes.toString("utf8").replace(/^\uFEFF/, "");
}

/** One line of UTF-8 bytes as text, or why it cannot be read. */
function lineItem(bytes: Buffer, line: number): Item {
  if (bytes.length > MAX_LINE_BYTES) return { line, skip: "too_long", message: `line ${line} is ${bytes.length} bytes, over the ${MAX_LINE_BYTES}-byte limit` };
  const text = bytes.toString("utf8");
  if (text.includes("\uFFFD") || text.includes("\u0000")) {
    try {
      if (text.includes("\u0000")) throw new Error("NUL byte");
      fatalUtf8.decode(bytes);
    } catch {
      return { line, skip: "invalid_encoding", message: `line ${line} is not UTF-8 (another encoding mixed into the file)` };
    }
  }
  return { line, text: text.charCodeAt(text.length - 1) === 13 ? text.slice(0, -1) : text };
}

/** Lines of a UTF-8 stream, batch per chunk; a read error (say a truncated gzip) ends the file with a problem noted. */
async function* streamLines(raw: ReturnType<typeof createReadStream>, gzip: boolean, facts: FileFacts): AsyncGenerator<Item[]> {
  const stream = gzip ? raw.pipe(createGunzip()) : raw;
  raw.on("error", (err) => stream.destroy(err));
  let rest: Buffer = Buffer.alloc(0);
  let line = 0;
  let first = true;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let data = rest.length ? Buffer.concat([rest, chunk]) : chunk;
      if (first && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3);
      first = false;
      const items: Item[] = [];
      let start = 0;
      for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
        line++;
        if (nl > start) items.push(lineItem(data.subarray(start, nl), line));
        start = nl + 1;
      }
      rest = Buffer.from(data.subarray(start));
      if (rest.length > MAX_LINE_BYTES) {
        line++;
        items.push({ line, skip: "too_long", message: `line ${line} exceeds ${MAX_LINE_BYTES} bytes` });
        rest = Buffer.alloc(0);
      }
      if (items.length) yield items;
    }
  } catch (err) {
    facts.problems.push(`${gzip ? "gzip stream" : "file"} ended early: ${err instanceof Error ? err.message : String(err)} (truncated file?)`);
  }
  if (rest.length > 0) {
    line++;
    const item = lineItem(rest, line);
    // A last line without its newline is where a truncated file is cut off.
    yield ["text" in item ? { line, text: item.text, last: true } : item];
  }
}

function readWhole(path: string, facts: FileFacts): Buffer {
  const bytes = readFileSync(path);
  if (bytes[0] !== GZIP[0] || bytes[1] !== GZIP[1]) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (err) {
    facts.problems.push(`gzip data is damaged or cut off (${err instanceof Error ? err.message : String(err)}); reading what decompresses`);
    return gunzipSync(bytes, { finishFlush: zlib.Z_SYNC_FLUSH });
  }
}

/** Lines of a text; in a file, a last line without its newline is where a truncated file was cut (inline text need not end in one). */
function textItems(text: string, file = true): Item[] {
  const lines = text.split("\n");
  const last = !file || text.endsWith("\n") ? -1 : lines.length - 1;
  return lines.flatMap((t, i): Item[] => (t.trim() === "" ? [] : [{ line: i + 1, text: t.endsWith("\r") ? t.slice(0, -1) : t, ...(i === last ? { last: true } : {}) }]));
}

/** A JSON array, or an object whose first member is an array of records (CloudTrail), element by element; else JSON lines. */
function documentItems(text: string, file = true): Item[] {
  const array = /^\s*\[/.exec(text) ? text.indexOf("[") : memberArrayStart(text, "Records");
  if (array >= 0) {
    return [...arrayElements(text, array)].map((e): Item => ("text" in e ? { line: e.index, text: e.text } : { line: e.index, skip: "truncated", message: e.truncated }));
  }
  try {
    return [{ line: 1, value: JSON.parse(text) as unknown }];
  } catch {
    return textItems(text, file);
  }
}

/** Whether a file is a JSON document rather than JSON lines: an array, a CloudTrail file, or pretty-printed JSON. */
function isDocument(head: string): boolean {
  const firstLine = head.trimStart().split("\n", 1)[0]?.trim() ?? "";
  return firstLine.startsWith("[") || firstLine === "{" || memberArrayStart(head, "Records") >= 0;
}

/**
 * Every file of the input with its items. `whole` files (JSON documents, UTF-16 text) are read
 * into memory; JSON lines in UTF-8 are streamed, so a file of any size runs in bounded memory.
 */
export function* readInput(input: LinkInput): Generator<FileItems> {
  if ("values" in input) {
    yield { facts: { file: input.name, encoding: "json", problems: [] }, size: input.values.length, read: () => input.values.length, batches: [input.values.map((value, i) => ({ line: i + 1, value }))] };
    return;
  }
  if ("text" in input) {
    const text = input.text.replace(/^\uFEFF/, "");
    yield { facts: { file: input.name, encoding: "utf-8", problems: [] }, size: text.length, read: () => text.length, batches: [isDocument(text.slice(0, 512)) ? documentItems(text, false) : textItems(text, false)] };
    return;
  }
  for (const file of filesOf(input.path)) {
    const facts: FileFacts = { file: file.name, encoding: "utf-8", problems: [] };
    let head: Buffer;
    try {
      head = readHead(file.path);
    } catch (err) {
      facts.problems.push(`unreadable: ${err instanceof Error ? err.message : String(err)}`);
      yield { facts, size: file.size, read: () => file.size, batches: [[{ line: 1, skip: "unreadable", message: facts.problems[0] as string }]] };
      continue;
    }
    const gzip = head[0] === GZIP[0] && head[1] === GZIP[1];
    const sample = gzip ? gunzipSync(head, { finishFlush: zlib.Z_SYNC_FLUSH }).subarray(0, 512) : head.subarray(0, 512);
    const encoding = sniffEncoding(sample);
    facts.encoding = gzip ? `gzip, ${encoding}` : encoding;
    if (encoding === "utf-8" || encoding === "utf-8-bom") {
      if (!isDocument(sample.toString("utf8").replace(/^\uFEFF/, ""))) {
        const raw = createReadStream(file.path, { highWaterMark: 1 << 20 });
        yield { facts, size: file.size, read: () => raw.bytesRead, batches: streamLines(raw, gzip, facts) };
        continue;
      }
    } else {
      facts.problems.push(`decoded as ${encoding.toUpperCase()}`);
    }
    const bytes = readWhole(file.path, facts);
    facts.sha256 = createHash("sha256").update(bytes).digest("hex");
    yield { facts, size: file.size, read: () => file.size, batches: [documentItems(decodeWhole(bytes, encoding))] };
  }
}

/** The first 64 KiB: enough to inflate a gzip file's first 512 bytes and to tell lines from a document. */
function readHead(path: string): Buffer {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(1 << 16);
    return buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0));
  } finally {
    closeSync(fd);
  }
}
