// The one way tests ask which ArbiterError a call threw.
import { expect } from "vitest";
import { ArbiterError } from "../../src/record/index.js";

/** The code of the ArbiterError `fn` throws, or undefined when it returns; any other error is rethrown. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ArbiterError) return err.code;
    throw err;
  }
  return undefined;
}

/** The ArbiterError `fn` throws (its code and message); fails when it returns, and rethrows any other error. */
export function refusalOf(fn: () => unknown): ArbiterError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ArbiterError) return err;
    throw err;
  }
  throw new Error("expected an ArbiterError, and the call returned");
}

/** Fails unless `fn` throws an ArbiterError with `code`. */
export function expectCode(fn: () => unknown, code: string): void {
  expect(codeOf(fn), `expected ArbiterError ${code}`).toBe(code);
}

/** The code of the ArbiterError the promise rejects with, or undefined when it resolves; any other error is rethrown. */
export async function refusedCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ArbiterError) return err.code;
    throw err;
  }
  return undefined;
}
