import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    globalSetup: ["test/support/global-setup.ts"],
    // Records Arbiter builds are parsed against the schema in every test, and in the processes the
    // tests start, though production skips that parse (src/record/prepare.ts, prepareBuilt).
    env: { ARBITER_CHECK_RECORDS: "1" },
  },
});
