/**
 * Request-body Content-Encoding, decoded as a stream with a bound on the
 * decoded size. The provenance hash of a runtime-facts batch covers the
 * bytes after this step ("after transfer decoding"), so every coding a
 * client may send must come out here as the same bytes it compressed.
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { AttestryError } from './errors.js';
import { zstdDecompressStream } from './zstd.js';

/** The codings accepted, as a client would spell them. */
export const SUPPORTED_CONTENT_ENCODINGS = ['identity', 'gzip', 'x-gzip', 'zstd'] as const;

export type ContentCoding = 'identity' | 'gzip' | 'zstd';

/**
 * Parses a Content-Encoding header value: absent, empty and `identity` mean
 * no coding; `x-gzip` is gzip (RFC 9110 §8.4.1.3). A list of codings is
 * refused rather than unwound: no agent stacks them, and each layer would
 * be one more decompression to bound.
 */
export function parseContentEncoding(value: string | undefined): ContentCoding {
  if (value === undefined) return 'identity';
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'identity') return 'identity';
  if (v === 'gzip' || v === 'x-gzip') return 'gzip';
  if (v === 'zstd') return 'zstd';
  const shown = JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  const why = v.includes(',') ? 'stacks several codings' : 'is not supported';
  throw new AttestryError(
    'E_INVALID_INPUT',
    `Content-Encoding ${shown} ${why} (415 Unsupported Media Type): send the body with one of ${SUPPORTED_CONTENT_ENCODINGS.join(', ')}`,
    { details: { contentEncoding: value, supported: [...SUPPORTED_CONTENT_ENCODINGS] } },
  );
}

function tooLarge(what: string, coding: string, maxDecodedBytes: number): AttestryError {
  return new AttestryError(
    'E_PAYLOAD_TOO_LARGE',
    coding === 'identity'
      ? `${what} is more than ${maxDecodedBytes} bytes; send less per request (or split it) and retry`
      : `${what} decompresses to more than ${maxDecodedBytes} bytes; send less per request (or split it) and retry`,
    { details: { maxDecodedBytes } },
  );
}

/** Uncompressed bodies still go through the bound, so callers need only one limit. */
async function* identity(source: AsyncIterable<Uint8Array>, maxDecodedBytes: number, what: string): AsyncIterable<Uint8Array> {
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > maxDecodedBytes) throw tooLarge(what, 'identity', maxDecodedBytes);
    yield chunk;
  }
}

/**
 * gzip through node:zlib. Its stream honours backpressure (it stops
 * inflating while its readable side is full), so pulling one output chunk
 * at a time keeps memory at one input chunk + a few 64 KiB output
 * buffers + zlib's 32 KiB window, and a bomb is stopped at the first chunk past the limit.
 * Concatenated gzip members decode as one body, as gunzip(1) does.
 */
async function* gunzip(source: AsyncIterable<Uint8Array>, maxDecodedBytes: number, what: string): AsyncIterable<Uint8Array> {
  let inputBytes = 0;
  async function* counted(): AsyncIterable<Uint8Array> {
    for await (const chunk of source) {
      inputBytes += chunk.length;
      yield chunk;
    }
  }
  const input = Readable.from(counted(), { objectMode: false });
  // 64 KiB output chunks (zlib's default is 16): a quarter of the per-chunk work downstream.
  const inflater = createGunzip({ chunkSize: 64 * 1024 });
  let inputError: unknown;
  input.once('error', (e) => {
    inputError = e;
    inflater.destroy(e);
  });
  input.pipe(inflater);
  let total = 0;
  try {
    for await (const out of inflater as AsyncIterable<Buffer>) {
      total += out.length;
      if (total > maxDecodedBytes) throw tooLarge(what, 'gzip', maxDecodedBytes);
      yield out;
    }
  } catch (e) {
    if (e instanceof AttestryError) throw e;
    // The source's own failure (a client that went away, a body limit) passes through unchanged.
    if (inputError !== undefined && e === inputError) throw e;
    if (inputBytes === 0) throw new AttestryError('E_INVALID_INPUT', `${what} is empty: a gzip body has at least one member`);
    throw new AttestryError('E_INVALID_INPUT', `${what} is not valid gzip data: ${zlibReason(e)}`, { cause: e });
  } finally {
    // On an early stop (limit, consumer break) stop reading the source too.
    input.unpipe(inflater);
    input.destroy();
    inflater.destroy();
  }
}

function zlibReason(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message === 'unexpected end of file' ? 'it ends in the middle of a member (truncated upload?)' : message;
}

/**
 * Decodes a request body by its Content-Encoding, yielding the decoded
 * bytes as they come and refusing with E_PAYLOAD_TOO_LARGE as soon as they
 * pass `maxDecodedBytes`; corrupt or truncated data is E_INVALID_INPUT, an
 * unknown coding E_INVALID_INPUT naming the supported ones. `what` names
 * the body in errors (e.g. "runtime-facts batch").
 */
export function decodeContent(
  source: AsyncIterable<Uint8Array>,
  contentEncoding: string | undefined,
  maxDecodedBytes: number,
  what: string,
): AsyncIterable<Uint8Array> {
  if (!Number.isSafeInteger(maxDecodedBytes) || maxDecodedBytes < 0) {
    throw new AttestryError('E_INVALID_INPUT', `decoded-size limit ${maxDecodedBytes} is not a non-negative integer`);
  }
  // Parsed now, not on first pull, so a bad header is refused before the body is read.
  const coding = parseContentEncoding(contentEncoding);
  switch (coding) {
    case 'identity':
      return identity(source, maxDecodedBytes, what);
    case 'gzip':
      return gunzip(source, maxDecodedBytes, what);
    case 'zstd':
      return zstdDecompressStream(source, maxDecodedBytes, what);
  }
}
