import { AttestryError } from '../../core/errors.js';
import { parseJsonText } from '../../core/validation.js';
import type { EvidenceFormat, ParseOptions, ParsedUpload, SignedContentHandler } from './format.js';
import { dsseContentHandler, dsseEnvelopeFormat, sigstoreDsseBundleFormat } from './dsse.js';
import { messageContentHandler, sigstoreMessageBundleFormat } from './message-signature.js';
import type { SignedContent } from './signed-content.js';

export type { EvidenceFormat, ParseOptions, ParsedUpload, SignedContentHandler } from './format.js';
export * from './signed-content.js';
export { MESSAGE_SIGNATURE_PAYLOAD_TYPE } from './message-signature.js';

/**
 * The upload formats, most specific first: the first that detects an upload
 * parses it. The DSSE envelope comes last because it claims everything else.
 */
export const EVIDENCE_FORMATS: readonly EvidenceFormat[] = [sigstoreMessageBundleFormat, sigstoreDsseBundleFormat, dsseEnvelopeFormat];

const HANDLERS: { readonly [T in SignedContent['type']]: SignedContentHandler<Extract<SignedContent, { type: T }>> } = {
  dsse: dsseContentHandler,
  message: messageContentHandler,
};

/** How content of this type is logged and exported. */
export function contentHandler<C extends SignedContent>(content: C): SignedContentHandler<C> {
  // The mapped table pairs each type with its handler; TypeScript cannot follow the index through the generic.
  return HANDLERS[content.type] as unknown as SignedContentHandler<C>;
}

/**
 * Reads an upload (or stored evidence) in whichever format it has.
 * `alreadyParsed` is `body` parsed by the HTTP layer, so it is not paid twice.
 */
export function parseUpload(body: Uint8Array, alreadyParsed?: unknown, options?: ParseOptions): ParsedUpload {
  const json = alreadyParsed ?? parseJsonText(Buffer.from(body).toString('utf8'), 'request body', 'E_INVALID_INPUT');
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new AttestryError(
      'E_INVALID_INPUT',
      'request body must be a JSON object: a DSSE envelope or a Sigstore bundle (DSSE or message signature)',
    );
  }
  const format = EVIDENCE_FORMATS.find((f) => f.detect(json)) ?? dsseEnvelopeFormat;
  return format.parse(json, options);
}
