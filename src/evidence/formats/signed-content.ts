import { AttestryError } from '../../core/errors.js';
import type { DsseEnvelope } from '../../crypto/dsse.js';

export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';

/** A message signature: `signature` (DER ECDSA, base64) over `digest` (base64) of a file the service never sees. */
export interface MessageSignatureContent {
  readonly type: 'message';
  readonly algorithm: string;
  readonly digest: string;
  readonly signature: string;
}

export interface DsseContent {
  readonly type: 'dsse';
  readonly envelope: DsseEnvelope;
}

/**
 * What was signed: a DSSE envelope, or a message signature over a digest.
 * Plain data, so it crosses to the verify workers as it is.
 */
export type SignedContent = DsseContent | MessageSignatureContent;

/** A searchable subject of a record: a sha256 digest and the name the statement gave it. */
export interface ParsedSubject {
  readonly digest: string;
  readonly name: string | null;
}

const CONTROL_RE = /[\u0000-\u001f\u007f]/;

/**
 * These strings are indexed; control characters (PostgreSQL refuses NUL in
 * text outright) have no place in a media type, URI, hint or file name.
 */
export function noControlCharacters(value: string, field: string): void {
  if (CONTROL_RE.test(value)) throw new AttestryError('E_INVALID_INPUT', `${field} contains a control character`);
}
