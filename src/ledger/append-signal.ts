// Tells listeners in this process that appends were acknowledged (durable), so followers need not poll for them.

/** Called with the ledger size the acknowledged append proved durable (its index + 1); synchronous, must not throw. */
export type AppendListener = (durableSize: number) => void;

export class AppendSignal {
  private readonly listeners = new Set<AppendListener>();

  /** Returns the function that stops the listener. */
  subscribe(listener: AppendListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(durableSize: number): void {
    for (const listener of this.listeners) {
      try {
        listener(durableSize);
      } catch {
        // A follower's failure is its own: it must never turn an acknowledged append into a rejected one.
      }
    }
  }
}
