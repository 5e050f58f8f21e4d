/** Reading and writing OMS signature files (Sigstore bundles) on disk. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { AttestryError, ioError } from '../core/errors.js';
import { parseJsonText } from '../core/validation.js';
import { writeFileAtomic } from '../core/atomic-file.js';
import { parseBundle, type KeyBundle } from '../crypto/bundle.js';
import { decodeBase64 } from '../crypto/dsse.js';
import { parseStatement, type Statement } from '../crypto/intoto.js';

/** A signature for 100,000 files is a few MiB; anything far larger is hostile or not a signature. */
export const MAX_SIGNATURE_BYTES = 256 * 1024 * 1024;

export function readTextFileBounded(path: string, limit: number, what: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw ioError(e, `read ${what}`, path);
  }
  try {
    const st = fstatSync(fd);
    if (st.isFile() && st.size > limit) {
      throw new AttestryError('E_INVALID_INPUT', `${what} ${path} is ${st.size} bytes, over the ${limit}-byte limit`);
    }
    // Pipes (e.g. /dev/stdin) report size 0, so read until EOF and enforce the limit as we go.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(st.isFile() ? Math.max(1, st.size - total + 1) : 1 << 20);
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        throw ioError(e, `read ${what}`, path);
      }
      if (n === 0) break;
      total += n;
      if (total > limit) throw new AttestryError('E_INVALID_INPUT', `${what} ${path} is over the ${limit}-byte limit`);
      chunks.push(buf.subarray(0, n));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export function readSignatureFile(path: string): KeyBundle {
  const text = readTextFileBounded(path, MAX_SIGNATURE_BYTES, 'signature file');
  return parseBundle(parseJsonText(text, `signature file ${path}`, 'E_SIGNATURE_FORMAT'));
}

export function writeSignatureFile(path: string, bundle: KeyBundle): void {
  writeFileAtomic(path, JSON.stringify(bundle));
}

/** Decodes the statement inside a bundle without verifying anything (for inspect and key lookup). */
export function unverifiedStatement(bundle: KeyBundle): Statement {
  if (bundle.dsseEnvelope.payloadType !== 'application/vnd.in-toto+json') {
    throw new AttestryError('E_SIGNATURE_FORMAT', `payloadType is "${bundle.dsseEnvelope.payloadType}", expected application/vnd.in-toto+json`);
  }
  const payload = decodeBase64(bundle.dsseEnvelope.payload).toString('utf8');
  return parseStatement(parseJsonText(payload, 'DSSE payload', 'E_SIGNATURE_FORMAT'));
}
