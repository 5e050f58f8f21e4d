import { createHash, type Hash } from 'node:crypto';
import { AttestryError } from '../core/errors.js';
import type { Digest } from '../core/digest.js';

/**
 * The byte-level plumbing the Signals readers share: count and hash the body
 * as received (the digest covers exactly those bytes), hand each chunk on,
 * and cut it into lines without holding more than one line plus one chunk.
 *
 * Lines come out in batches, one per chunk, rather than one `await` per line:
 * a runtime-fact batch is 10,000 lines and the ingest goal (200,000 facts/s)
 * leaves about 5 µs per fact, of which JSON.parse takes most. A per-line async
 * iterator (core/ndjson-lines.ts's shape) would add a promise per line.
 */
export interface SplitLine {
  /** The line without its `\n` (and without a trailing `\r`). */
  readonly text: string;
  /** 1-based physical line number: empty lines are skipped but counted. */
  readonly line: number;
}

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
        throw new AttestryError('E_PAYLOAD_TOO_LARGE', `${what}: the body is larger than the limit of ${maxBytes} bytes (maxBytes); send a smaller body`, {
          details: { limit: 'maxBytes', maxBytes },
        });
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

const NEWLINE = 0x0a;

function tooLong(what: string, line: number, maxLineBytes: number): AttestryError {
  return new AttestryError(
    'E_PAYLOAD_TOO_LARGE',
    `${what}: line ${line} is longer than the limit of ${maxLineBytes} bytes; split it or shorten its fields`,
    { details: { line, limit: 'maxLineBytes', maxLineBytes } },
  );
}

/** Finds the first line of `bytes` that is not UTF-8, for the message. */
function badUtf8(what: string, bytes: Uint8Array, firstLine: number): AttestryError {
  const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let line = firstLine;
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(NEWLINE, start);
    if (end === -1) end = bytes.length;
    try {
      strict.decode(bytes.subarray(start, end));
    } catch {
      break;
    }
    start = end + 1;
    line++;
  }
  return new AttestryError('E_INVALID_INPUT', `${what}: line ${line} is not valid UTF-8`, { details: { line } });
}

/**
 * Splits a byte stream into lines, one array per incoming chunk (possibly
 * empty). A line longer than `maxLineBytes` fails as soon as that many bytes
 * of it have arrived; invalid UTF-8 fails naming its line.
 */
export async function* splitLines(source: AsyncIterable<Uint8Array>, maxLineBytes: number, what: string): AsyncGenerator<SplitLine[]> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let carry: Uint8Array[] = [];
  let carryBytes = 0;
  let lineNo = 0;
  // A UTF-8 line has at least as many bytes as UTF-16 code units, at most three times as many.
  const surelyShort = Math.floor(maxLineBytes / 3);

  const cut = (bytes: Uint8Array, out: SplitLine[]): void => {
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      throw badUtf8(what, bytes, lineNo + 1);
    }
    const pieces = text.split('\n');
    for (let piece of pieces) {
      lineNo++;
      if (piece.length > 0 && piece.charCodeAt(piece.length - 1) === 0x0d) piece = piece.slice(0, -1);
      if (piece.length > surelyShort && Buffer.byteLength(piece, 'utf8') > maxLineBytes) throw tooLong(what, lineNo, maxLineBytes);
      if (piece.length === 0) continue;
      // Whitespace-only lines count as empty, like blank lines between records.
      if (piece.charCodeAt(0) <= 0x20 && piece.trim().length === 0) continue;
      out.push({ text: piece, line: lineNo });
    }
  };

  for await (const chunk of source) {
    const out: SplitLine[] = [];
    const last = chunk.lastIndexOf(NEWLINE);
    if (last === -1) {
      carry.push(chunk);
      carryBytes += chunk.length;
      if (carryBytes > maxLineBytes) throw tooLong(what, lineNo + 1, maxLineBytes);
      continue;
    }
    const head = chunk.subarray(0, last);
    if (carryBytes > 0) {
      carry.push(head);
      cut(Buffer.concat(carry), out);
    } else {
      cut(head, out);
    }
    const tail = chunk.subarray(last + 1);
    carry = tail.length > 0 ? [tail] : [];
    carryBytes = tail.length;
    if (carryBytes > maxLineBytes) throw tooLong(what, lineNo + 1, maxLineBytes);
    yield out;
  }
  if (carryBytes > 0) {
    const out: SplitLine[] = [];
    cut(Buffer.concat(carry), out);
    yield out;
  }
}

/** The first byte of `chunk` that is not JSON whitespace, or -1 if there is none (tells a `{` document from anything else). */
export function firstSignificantByte(chunk: Uint8Array): number {
  for (const b of chunk) {
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return b;
  }
  return -1;
}
