import { createHash, type Hash } from 'node:crypto';
import { AttestryError } from '../core/errors.js';
import type { Digest } from '../core/digest.js';

/**
 * The byte-level plumbing the Signals readers share: count and hash the body
 * as received (the digest covers exactly those bytes) and hand each chunk on.
 * Lines are cut by core/ndjson-lines.ts's ndjsonLineBatches (one array per
 * chunk rather than one `await` per line: the ingest goal of 200,000 facts/s
 * leaves about 5 µs per fact, most of it JSON.parse's).
 */

/** Running totals of a tapped body, read once it is consumed. */
export class BodyTap {
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');

  digest(): Digest {
    return `sha256:${this.hash.digest('hex')}`;
  }

  /**
   * Passes `source` through, refusing more than `maxBytes` (E_PAYLOAD_TOO_LARGE
   * naming the limit), hashing every byte and awaiting `onChunk` in order.
   */
  async *pass(
    source: AsyncIterable<Uint8Array>,
    maxBytes: number,
    what: string,
    onChunk?: (chunk: Uint8Array) => void | Promise<void>,
  ): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      this.bytes += chunk.length;
      if (this.bytes > maxBytes) {
        throw new AttestryError(
          'E_PAYLOAD_TOO_LARGE',
          `${what}: the body is larger than the limit of ${maxBytes} bytes (maxBytes); send a smaller body`,
          {
            details: { limit: 'maxBytes', maxBytes },
          },
        );
      }
      this.hash.update(chunk);
      if (onChunk !== undefined) {
        const pending = onChunk(chunk);
        if (pending !== undefined) await pending;
      }
      yield chunk;
    }
  }
}

/** The first byte of `chunk` that is not JSON whitespace, or -1 if there is none (tells a `{` document from anything else). */
export function firstSignificantByte(chunk: Uint8Array): number {
  for (const b of chunk) {
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return b;
  }
  return -1;
}
