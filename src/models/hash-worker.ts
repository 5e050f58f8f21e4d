/**
 * Worker thread of the hash pool: hashes byte ranges of files with one
 * reusable read buffer, so memory per worker is fixed whatever the file size.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { AttestryError } from '../core/errors.js';
import { serveWorkerRpc, type RpcContext } from '../core/worker-serve.js';
import { createStreamHasher } from './hashers.js';
import type { HashBatch, HashBatchDone, HashProgress } from './hash-protocol.js';

const { bufferSize, progressEvery } = workerData as { bufferSize: number; progressEvery: number };
const buffer = Buffer.allocUnsafe(bufferSize);

function hashRange(
  path: string,
  start: number,
  end: number,
  algorithm: HashBatch['algorithm'],
  progress: { pending: number; context: RpcContext<HashProgress> },
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
        progress.context.emit({ bytes: progress.pending });
        progress.pending = 0;
      }
    }
  } finally {
    closeSync(fd);
  }
  return hash.digestHex();
}

serveWorkerRpc<HashBatch, HashBatchDone, HashProgress>((batch, context) => {
  const progress = { pending: 0, context };
  let current = '';
  try {
    const digests = batch.jobs.map((j) => {
      current = j.path;
      return hashRange(j.path, j.start, j.end, batch.algorithm, progress);
    });
    return { digests, bytes: progress.pending };
  } catch (e) {
    if (progress.pending > 0) context.emit({ bytes: progress.pending });
    const err = e as NodeJS.ErrnoException;
    const code = err.code === 'ENOENT' ? 'E_NOT_FOUND' : 'E_IO';
    throw new AttestryError(code, `cannot hash ${current}: ${err.message}`, { details: { path: current } });
  }
});
