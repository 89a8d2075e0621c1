// Training waits for the store: how far the training threads may run ahead of the checkpoints
// written so far, and the count they wait on (shared memory, so every thread sees it at once).

export const gateDefaults = {
  // How many checkpoints training may run ahead of the store. Each one handed over and not yet
  // written holds its metrics and resumable state in memory (7 MB for the quickstart): without a
  // bound, a store slower than training (a team's PostgreSQL across a network) filled memory.
  aheadCheckpoints: 4,
};

/**
 * Checkpoints written to the store so far, in a SharedArrayBuffer that every training thread sees:
 * a shard that has handed over `aheadCheckpoints` more waits for the store (in Atomics.waitAsync,
 * so a stop still reaches it). Where it waits, after a checkpoint, is outside its training time.
 */
export class WriteGate {
  readonly buffer = new SharedArrayBuffer(4);
  private readonly count = new Int32Array(this.buffer);
  /** One more checkpoint written. */
  written(): void {
    Atomics.add(this.count, 0, 1);
    Atomics.notify(this.count, 0);
  }
  /** Nothing more will be written (stopping): let every waiting shard go on to see its stop. */
  open(): void {
    Atomics.store(this.count, 0, 2 ** 30);
    Atomics.notify(this.count, 0);
  }
}

/** Waits until the store has written `n` checkpoints (counted in `buffer`, a WriteGate's), or `stopped()`. */
export async function waitForStore(buffer: SharedArrayBuffer, n: number, stopped: () => boolean): Promise<void> {
  const count = new Int32Array(buffer);
  for (;;) {
    const now = Atomics.load(count, 0);
    if (now >= n || stopped()) return;
    const w = (Atomics as unknown as AtomicsWaitAsync).waitAsync(count, 0, now, 100); // woken by a write; every 100 ms it looks for a stop
    if (w.async) await w.value;
  }
}

// In Node since 16; in TypeScript's lib from es2024 on
type AtomicsWaitAsync = { waitAsync(a: Int32Array, i: number, v: number, ms: number): { async: false } | { async: true; value: Promise<unknown> } };
