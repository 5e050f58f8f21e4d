/**
 * What the `attestry signals` commands share: the client flags, files
 * streamed up with a progress bar, replies streamed down to a file or to
 * stdout, and the path of each Signals resource.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { ioError, isAttestryError } from '../core/errors.js';
import { digestFile, digestingStream } from '../signals/export.js';
import { progressBar } from './progress.js';
import type { ClientFlags } from './api-client.js';

export interface SignalsFlags extends ClientFlags {
  json?: boolean;
}

/** The service options every Signals command takes (the evidence commands' own). */
export { withClientOptions as withSignalsClient } from './api-client.js';

export const enc = encodeURIComponent;

/** A query string of the defined values, `?` included (empty when there are none). */
export function query(values: Record<string, string | number | boolean | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined) params.set(k, String(v));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch (e) {
    throw ioError(e, 'read', path);
  }
}

/** A file's bytes as they are read, with a progress bar on a TTY (never in --json mode). */
export async function* fileChunks(path: string, label: string, json: boolean): AsyncGenerator<Uint8Array> {
  const total = fileSize(path);
  const bar = progressBar(label, !json);
  let done = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
      done += (chunk as Buffer).length;
      bar.update(done, total);
      yield chunk as Buffer;
    }
  } catch (e) {
    throw isAttestryError(e) ? e : ioError(e, 'read', path);
  } finally {
    bar.finish();
  }
}

/** `sha256:` of a file, read once before it is sent, so the server can check what it received. */
export const fileDigest: (path: string) => Promise<string> = digestFile;

/** Writes a downloaded body to `out` (or stdout); returns the byte count and digest of what was written. */
export async function saveBody(body: AsyncIterable<Uint8Array>, out: string | undefined): Promise<{ bytes: number; digest: string }> {
  const counted = digestingStream(body);
  if (out === undefined) {
    // stdout is not ended (other output may follow); backpressure by hand.
    for await (const chunk of counted.chunks) if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
  } else {
    try {
      await pipeline(counted.chunks, createWriteStream(out));
    } catch (e) {
      throw isAttestryError(e) ? e : ioError(e, 'write', out);
    }
  }
  // This key order is what --json prints.
  const { bytes, digest } = counted.result();
  return { bytes, digest };
}
