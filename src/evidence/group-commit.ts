/**
 * Group commit: callers enqueue items and wait; one flush at a time takes
 * everything queued so far and commits it together (one transaction, one
 * fsync). Under load, batches grow by themselves; alone, an item is flushed
 * at once, so there is no added latency to tune.
 */
export class GroupCommitter<T, R> {
  readonly #queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  readonly #flush: (items: T[]) => Promise<R[]>;
  readonly #maxBatch: number;
  #running: Promise<void> | undefined;
  #inFlight = 0;

  constructor(flush: (items: T[]) => Promise<R[]>, maxBatch = 512) {
    this.#flush = flush;
    this.#maxBatch = maxBatch;
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#inFlight += 1;
      this.#running ??= this.#drain();
    });
  }

  /** Items accepted but not yet committed (for graceful shutdown). */
  get pending(): number {
    return this.#inFlight;
  }

  /** Resolves once everything submitted so far has been committed or failed. */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  async #drain(): Promise<void> {
    // Let the current tick's submitters join the first batch.
    await Promise.resolve();
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      try {
        const results = await this.#flush(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(results[i] as R));
      } catch (e) {
        if (batch.length === 1) (batch[0] as (typeof batch)[number]).reject(e);
        // One bad item must not fail its neighbours: retry each on its own.
        else for (const b of batch) await this.#flush([b.item]).then((r) => b.resolve(r[0] as R), b.reject);
      } finally {
        this.#inFlight -= batch.length;
      }
    }
    this.#running = undefined;
  }
}
