// Listeners of one kind of event: a failing listener neither fails the emitter nor silences the others.
import { expect, it } from "vitest";
import { Listeners } from "../../src/record/index.js";

it("tells every listener in turn, hands a failing one's error to the emitter, and forgets a removed one", () => {
  const listeners = new Listeners<number>();
  const told: string[] = [];
  listeners.add((n) => told.push(`a${n}`));
  const removeB = listeners.add(() => {
    throw new Error("b is broken");
  });
  listeners.add((n) => told.push(`c${n}`));
  const failures: unknown[] = [];
  listeners.emit(1, (err) => failures.push(err));
  expect(told).toEqual(["a1", "c1"]);
  expect(failures.map((err) => (err as Error).message)).toEqual(["b is broken"]);

  // Without a handler the error is dropped, and the emitter still does not throw.
  expect(() => listeners.emit(2)).not.toThrow();
  removeB();
  listeners.emit(3, (err) => failures.push(err));
  expect(told).toEqual(["a1", "c1", "a2", "c2", "a3", "c3"]);
  expect(failures).toHaveLength(1);
});
