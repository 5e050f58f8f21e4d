/**
 * Can the service still write where it keeps data? A full or read-only disk
 * does not stop `select 1` or `stat`, so /readyz asked only those and said
 * "ready" while every upload failed. This writes, syncs and removes a small
 * file in each directory, at most once per `ttlMs` (callers share the result),
 * so a load balancer polling /readyz costs a few syscalls a second.
 */
import { randomBytes } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ResolvedConfig } from '../core/config.js';
import { ioError, type AttestryError } from '../core/errors.js';

/** One page: on tmpfs and most file systems even this needs a free block. */
const PROBE_BYTES = 4096;

export interface WriteProbeResult {
  readonly ok: boolean;
  /** Per directory: `ok`, or what went wrong (read-only, no space, …). */
  readonly problems: readonly AttestryError[];
}

async function probeOnce(dir: string): Promise<AttestryError | undefined> {
  const path = join(dir, `.attestry-write-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'wx', 0o600);
    await handle.write(Buffer.alloc(PROBE_BYTES));
    await handle.sync();
    return undefined;
  } catch (e) {
    return ioError(e, 'write in', dir);
  } finally {
    await handle?.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
  }
}

export class WriteProbe {
  readonly #dirs: readonly string[];
  readonly #ttlMs: number;
  readonly #now: () => number;
  #last: { at: number; result: Promise<WriteProbeResult> } | undefined;

  constructor(dirs: readonly string[], options: { ttlMs?: number; now?: () => number } = {}) {
    this.#dirs = [...new Set(dirs)];
    this.#ttlMs = options.ttlMs ?? 2_000;
    this.#now = options.now ?? Date.now;
  }

  get dirs(): readonly string[] {
    return this.#dirs;
  }

  /** The cached result while fresh, else one new probe of every directory (shared by concurrent callers). */
  check(): Promise<WriteProbeResult> {
    const now = this.#now();
    if (this.#last !== undefined && now - this.#last.at < this.#ttlMs) return this.#last.result;
    const result = Promise.all(this.#dirs.map(probeOnce)).then((found) => {
      const problems = found.filter((p): p is AttestryError => p !== undefined);
      return { ok: problems.length === 0, problems };
    });
    this.#last = { at: now, result };
    return result;
  }
}

/** The data directory, the SQLite index's directory and a filesystem blob root: wherever this service writes locally. */
export function writeProbeFor(config: ResolvedConfig, options: { ttlMs?: number } = {}): WriteProbe {
  const dirs = [config.dataDir];
  const db = config.Storage.Database;
  if (db.Driver === 'sqlite' && db.Path !== null && db.Path !== ':memory:') dirs.push(dirname(db.Path));
  if (config.Storage.Blob.Backend === 'filesystem' && config.Storage.Blob.Root !== null) dirs.push(config.Storage.Blob.Root);
  return new WriteProbe(dirs, options);
}
