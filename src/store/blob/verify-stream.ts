import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AttestryError } from '../../core/errors.js';
import type { Digest } from '../../core/digest.js';

export function integrityError(key: string, expected: Digest, actual: string): AttestryError {
  return new AttestryError(
    'E_INTEGRITY',
    `stored blob ${key} failed its integrity check: recorded ${expected}, content hashes to sha256:${actual}; it is not served`,
    { details: { key, expected, actual: `sha256:${actual}` } },
  );
}

/** Passes bytes through and fails at the end if they do not hash to `expected`. */
export class DigestCheckingStream extends Transform {
  readonly #hash: Hash = createHash('sha256');
  readonly #expected: Digest;
  readonly #key: string;

  constructor(key: string, expected: Digest) {
    super();
    this.#key = key;
    this.#expected = expected;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const actual = this.#hash.digest('hex');
    done(`sha256:${actual}` === this.#expected ? null : integrityError(this.#key, this.#expected, actual));
  }
}

export function checkExpected(key: string, expected: Digest | undefined, actualHex: string): void {
  if (expected !== undefined && `sha256:${actualHex}` !== expected) {
    throw new AttestryError(
      'E_DIGEST_MISMATCH',
      `content for ${key} hashes to sha256:${actualHex}, not the declared ${expected}; nothing stored`,
      {
        details: { key, expected, actual: `sha256:${actualHex}` },
      },
    );
  }
}

export function tooLarge(what: string, maxBytes: number): AttestryError {
  return new AttestryError('E_PAYLOAD_TOO_LARGE', `${what} is larger than the limit of ${maxBytes} bytes`);
}
