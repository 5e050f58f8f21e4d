/** Reading and writing OMS signature files (Sigstore bundles) on disk. */
import { readTextFileBounded } from '../core/bounded-read.js';
import { AttestryError } from '../core/errors.js';
import { parseJsonText } from '../core/validation.js';
import { writeFileAtomic } from '../core/atomic-file.js';
import { parseBundle, type KeyBundle } from '../crypto/bundle.js';
import { decodeBase64 } from '../crypto/dsse.js';
import { parseStatement, type Statement } from '../crypto/intoto.js';

export { readTextFileBounded };

/** A signature for 100,000 files is a few MiB; anything far larger is hostile or not a signature. */
export const MAX_SIGNATURE_BYTES = 256 * 1024 * 1024;

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
    throw new AttestryError(
      'E_SIGNATURE_FORMAT',
      `payloadType is "${bundle.dsseEnvelope.payloadType}", expected application/vnd.in-toto+json`,
    );
  }
  const payload = decodeBase64(bundle.dsseEnvelope.payload).toString('utf8');
  return parseStatement(parseJsonText(payload, 'DSSE payload', 'E_SIGNATURE_FORMAT'));
}
