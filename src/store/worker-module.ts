// Where a worker thread's module is, for every capability that starts one (checkpoints, verify, the ledger watch).

/**
 * The built module `fileName` (without extension) beside the calling module `callerUrl`. Built, the
 * caller is a .js file beside it. Under the test runner the sources run as TypeScript, but a worker
 * thread does not inherit the runner's loader, and on Node.js 20 a worker ignores ESM hooks (tsx's
 * --import) for its entry file: from src/… the same path under dist/… is used, which the test
 * set-up builds before any test runs.
 */
export function workerModuleUrl(callerUrl: string, fileName: string): URL {
  const beside = new URL(`./${fileName}.js`, callerUrl);
  if (!callerUrl.endsWith(".ts")) return beside;
  const at = beside.pathname.lastIndexOf("/src/");
  if (at < 0) throw new Error(`${callerUrl} is not under a src/ folder, so its built worker cannot be found`);
  return new URL(`${beside.pathname.slice(0, at)}/dist/${beside.pathname.slice(at + "/src/".length)}`, beside);
}
