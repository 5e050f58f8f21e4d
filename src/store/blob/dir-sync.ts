import { closeSync, fsync, openSync } from 'node:fs';
import { promisify } from 'node:util';

const fsyncAsync = promisify(fsync);

interface DirState {
  running: boolean;
  waiters: { resolve: () => void; reject: (e: unknown) => void }[];
}

/**
 * Coalesces directory fsyncs: a rename is durable once an fsync of its
 * directory that *started after* the rename has finished. Callers queue;
 * each fsync takes every caller queued before it began, so N concurrent
 * writers into one directory cost about two fsyncs instead of N.
 */
export class DirSyncCoalescer {
  readonly #dirs = new Map<string, DirState>();

  sync(dir: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let state = this.#dirs.get(dir);
      if (state === undefined) {
        state = { running: false, waiters: [] };
        this.#dirs.set(dir, state);
      }
      state.waiters.push({ resolve, reject });
      if (!state.running) void this.#loop(dir, state);
    });
  }

  async #loop(dir: string, state: DirState): Promise<void> {
    state.running = true;
    while (state.waiters.length > 0) {
      const batch = state.waiters.splice(0);
      try {
        await fsyncDir(dir);
        for (const w of batch) w.resolve();
      } catch (e) {
        for (const w of batch) w.reject(e);
      }
    }
    state.running = false;
    this.#dirs.delete(dir);
  }
}

/** Opening and closing a directory are cheap in place; only the flush waits on the device. */
async function fsyncDir(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    await fsyncAsync(fd);
  } finally {
    closeSync(fd);
  }
}
