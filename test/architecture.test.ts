// The layering of docs/architecture.md as data: which room (folder of src/) may import which, which
// rooms may use which driver or framework, and that a room is entered through its index.ts. A new
// arrow that points the wrong way fails here; the known ones being moved out are listed with the
// issue that removes them, and the list must shrink (an entry that no longer occurs fails too).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ROOT } from "./support/cli.js";

const SRC = join(ROOT, "src");
const CORE = ["record", "store", "ledger", "identity", "policy", "decide", "linkage"];
const PEPS = ["enforce/decision-point", "enforce/masking", "enforce/mcp", "enforce/http"];

/** What each room may import. Dependencies point inward; nothing in the core imports an enforcement point. */
const MAY_IMPORT: Record<string, string[]> = {
  record: [],
  store: ["record"],
  ledger: ["record", "store"],
  identity: ["record", "store", "ledger"],
  policy: ["record", "store", "ledger"],
  decide: ["record", "store", "ledger", "identity", "policy"],
  linkage: ["record", "store", "ledger", "identity", "policy", "decide"],
  "enforce/masking": ["record"],
  "enforce/decision-point": ["record", "store", "ledger", "identity", "policy", "decide"],
  "enforce/mcp": ["record", "store", "ledger", "identity", "policy", "decide", "enforce/decision-point", "enforce/masking"],
  "enforce/http": ["record", "store", "ledger", "identity", "policy", "decide", "enforce/decision-point", "enforce/masking"],
  // The composition root builds every capability and gateway; the doors (server, cli) mount them.
  // Streaming out reads the ledger and its store; it decides nothing and no capability calls it.
  stream: ["record", "store", "ledger"],
  redis: ["record", "store", "decide"],
  runtime: [...CORE, ...PEPS, "stream", "notify", "redis"],
  server: [...CORE, ...PEPS, "runtime", "console", "report", "notify"],
  cli: [...CORE, ...PEPS, "runtime", "server", "report"],
  report: [...CORE],
  notify: ["record", "store", "ledger", "decide", "enforce/masking"],
  console: ["record"],
};

/** Packages that belong to one room: the driver to the store, the framework to its door. */
const PACKAGE_ROOMS: Record<string, string[]> = {
  "better-sqlite3": ["store"],
  fastify: ["server"],
  "@modelcontextprotocol/sdk": ["enforce/mcp", "cli"],
  commander: ["cli"],
  "@cedar-policy/cedar-wasm": ["policy"],
  nats: ["stream"],
  ioredis: ["redis"],
  "@opentelemetry/sdk-logs": ["stream"],
  "@opentelemetry/exporter-logs-otlp-http": ["stream"],
  "@opentelemetry/api-logs": ["stream"],
  "@opentelemetry/resources": ["stream"],
};

/** Arrows that exist today and are being removed ("the house" issue); each must still occur. */
const KNOWN: Record<string, string> = {};

/**
 * A room may reach into another's file past its index.ts only here: the error type every room throws
 * (errors.ts imports nothing, so the lowest rooms take it without the record schemas), the demo, which
 * `serve --demo` loads lazily so that a plain `serve` never loads the sample data's code, and the
 * gateways, which only a serving process loads (the MCP SDK and the HTTP enforcement with them), so
 * that a CLI command opening a data directory does not.
 */
const DEEP_IMPORTS_ALLOWED = new Set(["record/errors.ts", "runtime/demo.ts", "runtime/gateways.ts"]);

/**
 * What only store/ may name: the SQLite driver's connection, opening it, and preparing SQL on it.
 * Every other room gets its repositories from the Store bundle (store/contracts/store.ts); the one
 * place that picks the implementation of a data directory is store/open-store.ts, inside store/.
 */
const STORE_ONLY_TEXT: readonly RegExp[] = [/\bSqliteDatabase\b/, /\bopenDatabase\b/, /\.prepare\(/];
/** Files outside store/ that may still name one (file -> why); none is left, and the list must only shrink. */
const STORE_ONLY_KNOWN: Record<string, string> = {};

/** What `file` names that only store/ may: the texts above, and Sqlite classes imported from store/. */
function storeOnlyUses(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const named = STORE_ONLY_TEXT.filter((pattern) => pattern.test(text)).map((pattern) => `uses ${pattern.source}`);
  const classes = importedNames(file).filter(({ room, name }) => room === "store" && /^Sqlite[A-Z]/.test(name));
  return [...named, ...classes.map(({ name }) => `imports ${name}`)];
}

/** The names a file imports from another room's index.ts, with the room. */
function importedNames(file: string): { room: string; name: string }[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, false);
  return source.statements.flatMap((statement) => {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) return [];
    const specifier = statement.moduleSpecifier.text;
    const bindings = statement.importClause?.namedBindings;
    if (!specifier.startsWith(".") || bindings === undefined || !ts.isNamedImports(bindings)) return [];
    const room = roomOf(normalize(join(dirname(file), specifier)));
    return bindings.elements.map((element) => ({ room, name: (element.propertyName ?? element.name).text }));
  });
}

function roomOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  if (parts[0] === "enforce" && parts.length > 2) return `enforce/${parts[1]}`;
  return parts[0] ?? "";
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") || entry.name.endsWith(".tsx") ? [path] : [];
  });
}

interface Arrow {
  from: string;
  file: string;
  to: string;
  target?: string;
}

function arrows(): Arrow[] {
  return sources(SRC).flatMap((file) => {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    return importedFiles.map(({ fileName }): Arrow => {
      const from = roomOf(file);
      const where = relative(ROOT, file);
      if (!fileName.startsWith(".")) return { from, file: where, to: fileName.startsWith("node:") ? "node" : packageName(fileName) };
      const target = normalize(join(dirname(file), fileName)).replace(/\.js$/, ".ts");
      return { from, file: where, to: roomOf(target), target: relative(SRC, target) };
    });
  });
}

function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

const ALL = arrows();

describe("the layering", () => {
  it("finds the rooms it knows", () => {
    const rooms = new Set(ALL.map((arrow) => arrow.from));
    for (const room of rooms) expect(Object.keys(MAY_IMPORT), `a new room: ${room}; place it in the layering`).toContain(room);
  });

  it("has no arrow that points the wrong way", () => {
    const wrong = ALL.filter(
      (arrow) => arrow.target !== undefined && arrow.to !== arrow.from && !(MAY_IMPORT[arrow.from] ?? []).includes(arrow.to) && !(`${arrow.from} -> ${arrow.to}` in KNOWN),
    ).map((arrow) => `${arrow.file} imports ${arrow.target}`);
    expect(wrong).toEqual([]);
  });

  it("keeps drivers and frameworks in their rooms", () => {
    const wrong = ALL.filter((arrow) => {
      const rooms = PACKAGE_ROOMS[arrow.to];
      return arrow.target === undefined && rooms !== undefined && !rooms.includes(arrow.from) && !(`${arrow.from} -> ${arrow.to}` in KNOWN);
    }).map((arrow) => `${arrow.file} imports ${arrow.to}`);
    expect(wrong).toEqual([]);
  });

  it("enters another room through its index.ts", () => {
    const deep = ALL.filter(
      (arrow) =>
        arrow.target !== undefined &&
        arrow.to !== arrow.from &&
        !arrow.target.endsWith(`${sep}index.ts`) &&
        !DEEP_IMPORTS_ALLOWED.has(arrow.target.split(sep).join("/")),
    ).map((arrow) => `${arrow.file} imports ${arrow.target}`);
    expect(deep).toEqual([]);
  });

  it("keeps the SQLite store behind the Store bundle: no connection, no SQL and no Sqlite class outside store/", () => {
    const outside = sources(SRC).filter((file) => roomOf(file) !== "store" && !(relative(ROOT, file) in STORE_ONLY_KNOWN));
    expect(outside.flatMap((file) => storeOnlyUses(file).map((use) => `${relative(ROOT, file)} ${use}`))).toEqual([]);
  });

  it("still needs each store exception it lists (delete the entry once it is gone)", () => {
    expect(Object.keys(STORE_ONLY_KNOWN).filter((file) => storeOnlyUses(join(ROOT, file)).length === 0)).toEqual([]);
  });

  it("still has each known arrow that is being removed (delete the entry once it is gone)", () => {
    const present = new Set(ALL.map((arrow) => `${arrow.from} -> ${arrow.to}`));
    const gone = Object.keys(KNOWN).filter((arrow) => !present.has(arrow));
    expect(gone).toEqual([]);
  });
});
