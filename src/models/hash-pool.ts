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
import { Worker } from 'node:worker_threads';
import { AttestryError } from '../core/errors.js';
import { assertHashEngine, createStreamHasher } from './hashers.js';
import type { HashBatch, HashJob, WorkerMessage } from './hash-protocol.js';

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
  private workers: Worker[] = [];
  /** Batch ids are unique for the pool's life, so a late reply from a failed run is never taken for a new one. */
  private nextBatchId = 0;
  /** Runs are serialised: workers answer batches in order and a run owns them until it ends. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: HashPoolOptions = {}) {
    this.threads = threadCount(options.threads);
    this.bufferSize = options.bufferSize ?? 4 * 1024 * 1024;
  }

  private ensureWorkers(): Worker[] {
    while (this.workers.length < this.threads) {
      const worker = new Worker(new URL('./hash-worker.js', import.meta.url), {
        workerData: { bufferSize: this.bufferSize, progressEvery: 64 * 1024 * 1024 },
      });
      worker.unref();
      this.workers.push(worker);
    }
    return this.workers;
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
    const firstId = this.nextBatchId;
    this.nextBatchId += batches.length;
    const batchOf = (id: number): PlannedBatch | undefined => (id >= firstId ? batches[id - firstId] : undefined);
    const results: string[] = new Array<string>(jobs.length);
    const workers = this.ensureWorkers();
    const { onProgress, onDispatch } = options;
    let done = 0;

    return new Promise<string[]>((resolvePromise, reject) => {
      let next = 0;
      let inFlight = 0;
      let failed = false;
      const held = workers.map(() => ({ batches: 0, bytes: 0 }));
      const cleanups: (() => void)[] = [];
      const finish = (err?: Error) => {
        for (const c of cleanups) c();
        if (err) reject(err);
        else resolvePromise(results);
      };
      const canTake = (w: number): boolean => {
        const batch = batches[next];
        if (!batch) return false;
        const h = held[w]!;
        return h.batches === 0 || (h.batches === 1 && h.bytes + batch.bytes <= PIPELINE_BYTES);
      };
      const give = (w: number) => {
        const batch = batches[next]!;
        const id = firstId + next;
        next++;
        inFlight++;
        held[w]!.batches++;
        held[w]!.bytes += batch.bytes;
        onDispatch?.(w, batch.indexes);
        workers[w]!.postMessage({ id, algorithm, jobs: batch.jobs } satisfies HashBatch);
      };
      const fill = (w: number) => {
        while (canTake(w)) give(w);
      };
      workers.forEach((worker, w) => {
        const onMessage = (msg: WorkerMessage) => {
          const batch = batchOf(msg.id);
          if (failed || !batch) return; // a reply to an earlier, failed run
          if (msg.bytes > 0) {
            done += msg.bytes;
            onProgress?.(done);
          }
          if (msg.type === 'progress') return;
          inFlight--;
          held[w]!.batches--;
          held[w]!.bytes -= batch.bytes;
          if (msg.type === 'error') {
            failed = true;
            const code = msg.errno === 'ENOENT' ? 'E_NOT_FOUND' : 'E_IO';
            finish(new AttestryError(code, `cannot hash ${msg.path}: ${msg.message}`, { details: { path: msg.path } }));
            return;
          }
          msg.digests.forEach((d, i) => {
            results[batch.indexes[i]!] = d;
          });
          fill(w);
          if (inFlight === 0 && next >= batches.length) finish();
        };
        const onError = (err: Error) => {
          if (failed) return;
          failed = true;
          finish(new AttestryError('E_INTERNAL', `hash worker failed: ${err.message}`, { cause: err }));
        };
        worker.on('message', onMessage);
        worker.on('error', onError);
        cleanups.push(() => {
          worker.off('message', onMessage);
          worker.off('error', onError);
        });
      });
      // One batch per worker first (round robin, largest first), then top up the small ones.
      for (let w = 0; w < workers.length; w++) if (canTake(w)) give(w);
      for (let w = 0; w < workers.length; w++) fill(w);
    });
  }

  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.terminate()));
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
