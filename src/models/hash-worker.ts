/**
 * Worker thread of the hash pool: hashes byte ranges of files with one
 * reusable read buffer, so memory per worker is fixed whatever the file size.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { createStreamHasher } from './hashers.js';
import type { HashBatch, WorkerMessage } from './hash-protocol.js';

const { bufferSize, progressEvery } = workerData as { bufferSize: number; progressEvery: number };
const buffer = Buffer.allocUnsafe(bufferSize);
const port = parentPort;
if (!port) throw new Error('hash-worker must run in a worker thread');

function hashRange(
  path: string,
  start: number,
  end: number,
  algorithm: HashBatch['algorithm'],
  progress: { id: number; pending: number },
): string {
  const hash = createStreamHasher(algorithm);
  const fd = openSync(path, 'r');
  try {
    let position = start;
    while (position < end) {
      const want = Math.min(buffer.length, end - position);
      const got = readSync(fd, buffer, 0, want, position);
      if (got === 0) throw Object.assign(new Error(`${path} shrank while it was being hashed`), { code: 'ECHANGED' });
      hash.update(got === buffer.length ? buffer : buffer.subarray(0, got));
      position += got;
      progress.pending += got;
      if (progress.pending >= progressEvery) {
        port!.postMessage({ type: 'progress', id: progress.id, bytes: progress.pending } satisfies WorkerMessage);
        progress.pending = 0;
      }
    }
  } finally {
    closeSync(fd);
  }
  return hash.digestHex();
}

port.on('message', (batch: HashBatch) => {
  const progress = { id: batch.id, pending: 0 };
  let current = '';
  try {
    const digests = batch.jobs.map((j) => {
      current = j.path;
      return hashRange(j.path, j.start, j.end, batch.algorithm, progress);
    });
    port.postMessage({ type: 'done', id: batch.id, digests, bytes: progress.pending } satisfies WorkerMessage);
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { code?: string };
    port.postMessage({
      type: 'error',
      id: batch.id,
      path: current,
      errno: err.code ?? 'EIO',
      message: err.message,
      bytes: progress.pending,
    } satisfies WorkerMessage);
  }
});
