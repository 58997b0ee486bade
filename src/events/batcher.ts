/**
 * Natural batching for acknowledgements: the first item is written at once (no
 * added latency when the queue is quiet); items arriving while a write is in flight
 * go together in the next one (throughput under load). Graphile-worker's
 * completeJobBatchDelay does the same with a timer; this needs none.
 */
export class Batcher<T> {
  private pending: T[] = [];
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly maxBatch = 1000,
  ) {}

  add(item: T): void {
    this.pending.push(item);
    if (!this.inFlight) this.inFlight = this.drain();
  }

  /** Resolves once everything added so far has been written. */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const items = this.pending.splice(0, this.maxBatch);
        await this.write(items);
      }
    } finally {
      this.inFlight = undefined;
    }
  }
}
