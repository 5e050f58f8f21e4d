/**
 * Hashes many byte ranges on worker threads, one per core by default.
 *
 * Scheduling: ranges are grouped into batches (small files together, so
 * 10,000 tiny files do not cost 10,000 thread round trips; a big range is a
 * batch of its own), batches are handed out largest first (longest
 * processing time first), and a worker is given work only when it asks for
 * it: one batch each to start, round robin, then the next batch to whichever
 * worker finishes. A worker may hold a second, queued batch only while the
 * two together stay under PIPELINE_BYTES, which hides the message round trip
 * for small files but never parks a big file behind another one (the defect
 * of pre-dispatching two batches per worker in worker order, which put both
 * files of a two-file model on the first worker).
 *
 * A file's digest in `files` mode is one SHA-256 (or BLAKE3) stream over the
 * whole file and cannot be split across threads with these libraries, so one
 * big file still uses one core there; `shards` splits it.
 *
 * Each worker holds a single read buffer: memory is bounded by
 * `threads × bufferSize` whatever the model size.
 */
import { availableParallelism } from 'node:os';
import { AttestryError } from '../core/errors.js';
import { WorkerPool } from '../core/worker-rpc.js';
import { assertHashEngine, createStreamHasher } from './hashers.js';
import type { HashBatch, HashBatchDone, HashJob, HashProgress } from './hash-protocol.js';

export type { HashJob } from './hash-protocol.js';

export interface HashPoolOptions {
  /** Worker threads, at least 1; default one per core. */
  threads?: number;
  /** Bytes read per call; large reads keep syscall overhead negligible. */
  bufferSize?: number;
}

export interface HashRunOptions {
  algorithm?: string;
  onProgress?: (bytesDone: number) => void;
  /** Called when a batch is handed to a worker: which worker (0-based) and which jobs (indexes into `jobs`). For tests and diagnostics. */
  onDispatch?: (worker: number, jobIndexes: readonly number[]) => void;
}

const BATCH_BYTES = 32 * 1024 * 1024;
const BATCH_JOBS = 256;
/** A worker may have a second batch queued only while both together are at most this many bytes. */
const PIPELINE_BYTES = BATCH_BYTES;

/** Validates a thread count: a positive integer, or undefined for one per core. */
export function threadCount(threads: number | undefined): number {
  if (threads === undefined) return Math.max(1, availableParallelism());
  if (!Number.isSafeInteger(threads) || threads < 1) {
    throw new AttestryError(
      'E_USAGE',
      `threads must be a whole number of at least 1, got ${threads}; leave it out to use one thread per core`,
    );
  }
  return threads;
}

export class HashPool {
  readonly threads: number;
  private readonly bufferSize: number;
  /** Started on first use; close() drops it, and a later run starts a new one. */
  private rpc: WorkerPool<HashBatch, HashBatchDone, HashProgress> | undefined;
  /** Runs are serialised: workers answer batches in order and a run owns them until it ends. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: HashPoolOptions = {}) {
    this.threads = threadCount(options.threads);
    this.bufferSize = options.bufferSize ?? 4 * 1024 * 1024;
  }

  private workers(): WorkerPool<HashBatch, HashBatchDone, HashProgress> {
    this.rpc ??= new WorkerPool({
      // From the folder's parent: the bundled CLI (scripts/bundle-cli.mjs) runs this code from dist/src/cli/.
      script: new URL('../models/hash-worker.js', import.meta.url),
      workerData: { bufferSize: this.bufferSize, progressEvery: 64 * 1024 * 1024 },
      size: this.threads,
      name: 'hash worker',
    });
    return this.rpc;
  }

  /** Returns hex digests in the order of `jobs`. Concurrent calls run one after another. */
  hash(jobs: readonly HashJob[], options: HashRunOptions = {}): Promise<string[]> {
    const run = this.queue.then(() => this.runJobs(jobs, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async runJobs(jobs: readonly HashJob[], options: HashRunOptions): Promise<string[]> {
    const algorithm = assertHashEngine(options.algorithm ?? 'sha256');
    // Load a native engine here first, so a missing addon is one clear error rather than one per worker.
    createStreamHasher(algorithm);
    if (jobs.length === 0) return [];
    const batches = planBatches(jobs);
    const results: string[] = new Array<string>(jobs.length);
    const workers = this.workers();
    const { onProgress, onDispatch } = options;
    let done = 0;

    return new Promise<string[]>((resolvePromise, reject) => {
      let next = 0;
      let inFlight = 0;
      // After a failure, replies to the run's other batches are ignored.
      let failed = false;
      const held = Array.from({ length: workers.size }, () => ({ batches: 0, bytes: 0 }));
      const progress = (bytes: number) => {
        if (failed || bytes === 0) return;
        done += bytes;
        onProgress?.(done);
      };
      const canTake = (w: number): boolean => {
        const batch = batches[next];
        if (!batch) return false;
        const h = held[w]!;
        return h.batches === 0 || (h.batches === 1 && h.bytes + batch.bytes <= PIPELINE_BYTES);
      };
      const give = (w: number) => {
        const batch = batches[next]!;
        next++;
        inFlight++;
        held[w]!.batches++;
        held[w]!.bytes += batch.bytes;
        onDispatch?.(w, batch.indexes);
        workers.call({ algorithm, jobs: batch.jobs }, { worker: w, onEvent: (p) => progress(p.bytes) }).then(
          (reply) => {
            progress(reply.bytes);
            if (failed) return;
            inFlight--;
            held[w]!.batches--;
            held[w]!.bytes -= batch.bytes;
            reply.digests.forEach((d, i) => {
              results[batch.indexes[i]!] = d;
            });
            fill(w);
            if (inFlight === 0 && next >= batches.length) resolvePromise(results);
          },
          (e: unknown) => {
            if (failed) return;
            failed = true;
            reject(e);
          },
        );
      };
      const fill = (w: number) => {
        while (canTake(w)) give(w);
      };
      // One batch per worker first (round robin, largest first), then top up the small ones.
      for (let w = 0; w < workers.size; w++) if (canTake(w)) give(w);
      for (let w = 0; w < workers.size; w++) fill(w);
    });
  }

  async close(): Promise<void> {
    const rpc = this.rpc;
    this.rpc = undefined;
    await rpc?.close();
  }
}

interface PlannedBatch {
  jobs: HashJob[];
  indexes: number[];
  bytes: number;
}

/** Groups jobs, largest first, into batches of at most BATCH_BYTES / BATCH_JOBS (a bigger job is a batch alone). */
export function planBatches(jobs: readonly HashJob[]): PlannedBatch[] {
  const order = jobs.map((_, i) => i).sort((a, b) => jobs[b]!.end - jobs[b]!.start - (jobs[a]!.end - jobs[a]!.start) || a - b);
  const batches: PlannedBatch[] = [];
  let current: PlannedBatch = { jobs: [], indexes: [], bytes: 0 };
  for (const i of order) {
    const job = jobs[i]!;
    const size = job.end - job.start;
    if (current.jobs.length > 0 && (current.bytes + size > BATCH_BYTES || current.jobs.length >= BATCH_JOBS)) {
      batches.push(current);
      current = { jobs: [], indexes: [], bytes: 0 };
    }
    current.jobs.push(job);
    current.indexes.push(i);
    current.bytes += size;
  }
  if (current.jobs.length > 0) batches.push(current);
  return batches;
}
