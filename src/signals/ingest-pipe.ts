import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { BlobInfo } from '../store/blob/blob-store.js';

/**
 * Reads a request body once while its bytes are also stored: the reader
 * (validation, hashing, aggregation) drives the body, and hands every chunk
 * to a bounded in-process pipe that the store side (compression and the
 * blob write) drains concurrently. When the pipe is full the reader waits
 * for it to drain, so memory stays at about `highWaterMark` plus what each
 * side holds, whatever the body's size. A failure on either side fails both.
 */
export interface TeeResult<R> {
  readonly read: R;
  readonly stored: BlobInfo;
}

/** Bytes buffered between the reader and the store side. */
export const PIPE_HIGH_WATER_MARK = 1024 * 1024;

export async function readWhileStoring<R>(
  reader: (onChunk: (chunk: Uint8Array) => Promise<void> | void) => Promise<R>,
  store: (bytes: AsyncIterable<Uint8Array>) => Promise<BlobInfo>,
): Promise<TeeResult<R>> {
  const pipe = new PassThrough({ highWaterMark: PIPE_HIGH_WATER_MARK });
  // Errors reach the caller through `storing` and the reader; the pipe's own event has no other listener.
  pipe.on('error', () => undefined);
  const storing = store(pipe);
  // A store failure must also stop a reader waiting for the pipe to drain.
  const storeFailed = storing.then(
    () => new Promise<never>(() => undefined),
    (e: unknown) => Promise.reject(e instanceof Error ? e : new Error(String(e))),
  );
  storeFailed.catch(() => undefined);
  const onChunk = (chunk: Uint8Array): Promise<void> | void => {
    if (pipe.write(chunk)) return undefined;
    return Promise.race([once(pipe, 'drain').then(() => undefined), storeFailed]);
  };
  let read: R;
  try {
    read = await reader(onChunk);
    pipe.end();
  } catch (e) {
    // The store side sees the error, removes its temporary file and rejects; wait for that.
    pipe.destroy(e instanceof Error ? e : new Error(String(e)));
    await storing.catch(() => undefined);
    throw e;
  }
  return { read, stored: await storing };
}
