import { defineConfig } from "vitest/config";

// Records Arbiter builds are parsed against the schema in every test, and in the processes the tests
// start, though production skips that parse (src/record/prepare.ts, prepareBuilt).
const CHECK_RECORDS = { ARBITER_CHECK_RECORDS: "1" };

/**
 * The tests that run a second time with every data directory's store in PostgreSQL (a schema per
 * directory on the machine's server; test/support/data-dir.ts): those whose subject reads or writes
 * the store through the product — the API, identities, decisions, linkage, notifications, streaming,
 * reports, policies, the ledger and the HTTP and MCP gateways' records. The CLI's end-to-end files
 * run on SQLite only, to keep the suite within its time: the CLI opens the store through the same
 * open-store.ts, and test/cli/postgres-store.test.ts and postgres-replicas.test.ts drive init, serve,
 * log verify, a tampered and a rolled-back store, and limits shared by CLI processes on PostgreSQL.
 * The PostgreSQL store's own tests (test/store/postgres*, test/cli/postgres-*) run once, below.
 */
const ON_POSTGRES_TOO = [
  "test/server/**/*.test.ts",
  "test/identity/**/*.test.ts",
  "test/decide/**/*.test.ts",
  "test/linkage/**/*.test.ts",
  "test/notify/**/*.test.ts",
  "test/stream/**/*.test.ts",
  "test/report/**/*.test.ts",
  "test/policy/store.test.ts",
  "test/enforce/http/**/*.test.ts",
  "test/enforce/mcp/{http,pep-credential,session-limits}.test.ts",
  "test/console/{demo,verify}.test.ts",
  "test/ledger/{ledger,checkpoint,redaction,verify-beside-writer}.test.ts",
];

/** Among those, the files that damage or watch SQLite's own files (a held write lock, a full file, a swapped copy). */
const SQLITE_FILES_ONLY = ["test/server/ledger-watch.test.ts", "test/server/storage-full.test.ts", "test/linkage/tamper-keys.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two files at a time on two cores: most of a file's time is spent in the processes it starts (the
    // CLI, servers, proxies) and in the databases, which one worker left half idle (a whole run took
    // 0.67x the time with two: 866 s against 1,290 s on this two-core machine).
    maxWorkers: 2,
    globalSetup: ["test/support/global-setup.ts"],
    projects: [
      { extends: true, test: { name: "sqlite", include: ["test/**/*.test.ts"], env: CHECK_RECORDS } },
      {
        extends: true,
        // The second run shares each worker's imports between its files (isolate: false): none of them
        // mocks a module, and loading the product anew for each file was 40% of this project's time.
        test: {
          name: "postgres",
          isolate: false,
          include: ON_POSTGRES_TOO,
          exclude: SQLITE_FILES_ONLY,
          env: { ...CHECK_RECORDS, ARBITER_TEST_STORE: "postgres" },
        },
      },
    ],
  },
});
