import { open } from 'node:fs/promises';

/**
 * Coalesces directory fsyncs: a rename is durable once an fsync of its
 * directory *started after* the rename has finished. Callers that arrive
 * while one fsync is running share the next one, so N concurrent writers into
 * one directory cost about two directory fsyncs instead of N.
 */
export class DirSyncCoalescer {
  readonly #pending = new Map<string, { running: Promise<void> | undefined; next: Promise<void> | undefined }>();

  sync(dir: string): Promise<void> {
    let slot = this.#pending.get(dir);
    if (!slot) {
      slot = { running: undefined, next: undefined };
      this.#pending.set(dir, slot);
    }
    if (slot.running === undefined) {
      slot.running = this.#run(dir, slot);
      return slot.running;
    }
    // An fsync is already in flight and may have started before our rename:
    // join (or schedule) the one that starts after it.
    slot.next ??= slot.running.then(
      () => this.#startNext(dir),
      () => this.#startNext(dir),
    );
    return slot.next;
  }

  #startNext(dir: string): Promise<void> {
    const slot = this.#pending.get(dir);
    if (!slot) return fsyncDir(dir);
    slot.next = undefined;
    slot.running = this.#run(dir, slot);
    return slot.running;
  }

  async #run(dir: string, slot: { running: Promise<void> | undefined; next: Promise<void> | undefined }): Promise<void> {
    try {
      await fsyncDir(dir);
    } finally {
      if (slot.next === undefined) {
        slot.running = undefined;
        this.#pending.delete(dir);
      }
    }
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
