/**
 * Hashes many byte ranges on worker threads, one per core by default.
 *
 * Large ranges are dispatched first (longest-processing-time order) so the
 * last core is not left with one big file; small ranges are grouped into
 * batches so 10,000 tiny files do not cost 10,000 thread round trips. Each
 * worker holds a single read buffer: memory is bounded by
 * `threads × bufferSize` whatever the model size.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { AttestryError } from '../core/errors.js';
import type { HashBatch, HashJob, WorkerMessage } from './hash-protocol.js';

export type { HashJob } from './hash-protocol.js';

/** Hash names as OMS writes them, mapped to node:crypto names. */
export const NODE_HASH_NAMES: Record<string, string> = { sha256: 'sha256', blake2b: 'blake2b512' };

export interface HashPoolOptions {
  threads?: number;
  /** Bytes read per call; large reads keep syscall overhead negligible. */
  bufferSize?: number;
}

export interface HashRunOptions {
  algorithm?: string;
  onProgress?: (bytesDone: number) => void;
}

const BATCH_BYTES = 32 * 1024 * 1024;
const BATCH_JOBS = 256;

export class HashPool {
  readonly threads: number;
  private readonly bufferSize: number;
  private workers: Worker[] = [];
  /** Batch ids are unique for the pool's life, so a late reply from a failed run is never taken for a new one. */
  private nextBatchId = 0;
  /** Runs are serialised: workers answer batches in order and a run owns them until it ends. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: HashPoolOptions = {}) {
    this.threads = Math.max(1, options.threads ?? availableParallelism());
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
    const algorithm = NODE_HASH_NAMES[options.algorithm ?? 'sha256'];
    if (!algorithm) {
      throw new AttestryError('E_SIGNATURE_FORMAT', `hash algorithm "${options.algorithm}" is not supported (supported: ${Object.keys(NODE_HASH_NAMES).join(', ')})`);
    }
    if (jobs.length === 0) return [];
    const planned = planBatches(jobs);
    const firstId = this.nextBatchId;
    this.nextBatchId += planned.length;
    const batchOf = (id: number): PlannedBatch | undefined => (id >= firstId ? planned[id - firstId] : undefined);
    const batches = planned;
    const results: string[] = new Array<string>(jobs.length);
    const workers = this.ensureWorkers();
    const onProgress = options.onProgress;
    let done = 0;

    return new Promise<string[]>((resolvePromise, reject) => {
      let next = 0;
      let inFlight = 0;
      let failed = false;
      const cleanups: (() => void)[] = [];
      const finish = (err?: Error) => {
        for (const c of cleanups) c();
        if (err) reject(err);
        else resolvePromise(results);
      };
      const dispatch = (worker: Worker) => {
        const batch = batches[next];
        if (!batch) return;
        next++;
        inFlight++;
        worker.postMessage({ id: firstId + next - 1, algorithm, jobs: batch.jobs } satisfies HashBatch);
      };
      for (const worker of workers) {
        const onMessage = (msg: WorkerMessage) => {
          const batch = batchOf(msg.id);
          if (failed || !batch) return; // a reply to an earlier, failed run
          if (msg.bytes > 0) {
            done += msg.bytes;
            onProgress?.(done);
          }
          if (msg.type === 'progress') return;
          inFlight--;
          if (msg.type === 'error') {
            failed = true;
            const code = msg.errno === 'ENOENT' ? 'E_NOT_FOUND' : 'E_IO';
            finish(new AttestryError(code, `cannot hash ${msg.path}: ${msg.message}`, { details: { path: msg.path } }));
            return;
          }
          msg.digests.forEach((d, i) => {
            results[batch.indexes[i]!] = d;
          });
          dispatch(worker);
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
        // Two batches per worker so a worker never idles waiting for the next message.
        dispatch(worker);
        dispatch(worker);
      }
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
}

function planBatches(jobs: readonly HashJob[]): PlannedBatch[] {
  const order = jobs.map((_, i) => i).sort((a, b) => jobs[b]!.end - jobs[b]!.start - (jobs[a]!.end - jobs[a]!.start));
  const batches: PlannedBatch[] = [];
  let current: PlannedBatch = { jobs: [], indexes: [] };
  let bytes = 0;
  for (const i of order) {
    const job = jobs[i]!;
    const size = job.end - job.start;
    if (current.jobs.length > 0 && (bytes + size > BATCH_BYTES || current.jobs.length >= BATCH_JOBS)) {
      batches.push(current);
      current = { jobs: [], indexes: [] };
      bytes = 0;
    }
    current.jobs.push(job);
    current.indexes.push(i);
    bytes += size;
  }
  if (current.jobs.length > 0) batches.push(current);
  return batches;
}
