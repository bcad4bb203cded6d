// Where a worker thread's module is found, built and from the TypeScript sources.
import { describe, expect, it } from "vitest";
import { workerModuleUrl } from "../../src/store/index.js";

describe("workerModuleUrl", () => {
  it("takes the built module beside a built caller", () => {
    expect(workerModuleUrl("file:///app/dist/store/sqlite/checkpointer.js", "checkpoint-worker").href).toBe("file:///app/dist/store/sqlite/checkpoint-worker.js");
  });

  it("takes the same path under dist/ for a caller running from src/, whatever the depth", () => {
    expect(workerModuleUrl("file:///app/src/store/sqlite/checkpointer.ts", "checkpoint-worker").href).toBe("file:///app/dist/store/sqlite/checkpoint-worker.js");
    expect(workerModuleUrl("file:///app/src/ledger/verify-job.ts", "verify-worker").href).toBe("file:///app/dist/ledger/verify-worker.js");
    // Only the innermost src/ is the package's own.
    expect(workerModuleUrl("file:///home/src/app/src/ledger/watch.ts", "watch-worker").href).toBe("file:///home/src/app/dist/ledger/watch-worker.js");
  });

  it("refuses a TypeScript caller outside a src/ folder instead of guessing", () => {
    expect(() => workerModuleUrl("file:///app/lib/x.ts", "y")).toThrow(/not under a src\/ folder/);
  });
});
