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
    const size = fstatSync(fd).size;
    if (size > limit) {
      throw new AttestryError('E_INVALID_INPUT', `${what} ${path} is ${size} bytes, over the ${limit}-byte limit`);
    }
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off).toString('utf8');
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
