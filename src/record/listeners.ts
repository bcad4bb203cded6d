// Listeners of one kind of event within this process, each told in turn.

export type Listener<T> = (value: T) => void;

/**
 * A set of listeners of `T`. A listener that throws never fails the one that emits (an acknowledged
 * append, a decision already made) and never keeps the others from being told; what happens to its
 * error is the emitter's choice.
 */
export class Listeners<T> {
  private readonly listeners = new Set<Listener<T>>();

  /** Adds a listener; the function returned removes it. */
  add(listener: Listener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells every listener; one that throws is handed to `failed` (by default its error is dropped). */
  emit(value: T, failed?: (err: unknown) => void): void {
    for (const listener of this.listeners) {
      try {
        listener(value);
      } catch (err) {
        failed?.(err);
      }
    }
  }
}
