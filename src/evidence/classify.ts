import { builtinKinds, type EvidenceKind } from '../kinds/builtin.js';
import type { KindRegistry } from '../kinds/registry.js';
import { parseUpload, type ParsedUpload } from './formats/index.js';

export { DSSE_MEDIA_TYPE, type MessageSignatureContent, type SignedContent } from './formats/index.js';

export interface ParsedEvidence extends ParsedUpload {
  readonly kind: EvidenceKind;
}

/**
 * The kind of an upload from what its format read: the one lookup
 * classification makes (a message signature is its own kind whatever it says).
 */
function kindOf(upload: Pick<ParsedUpload, 'format' | 'predicateType' | 'payloadType'>, kinds: KindRegistry): EvidenceKind {
  if (upload.format === 'sigstore-bundle-message') return 'message-signatures';
  return kinds.classify(upload.predicateType, upload.payloadType);
}

/**
 * Accepts a DSSE envelope, or a Sigstore bundle holding one (model
 * signatures are bundles) or a message signature (see formats/). Subjects
 * with a sha256 digest become searchable.
 */
export function parseEvidence(body: Uint8Array, alreadyParsed?: unknown, kinds: KindRegistry = builtinKinds()): ParsedEvidence {
  const upload = parseUpload(body, alreadyParsed, { readsPayloadType: (t) => kinds.kindOfPayloadType(t) !== undefined });
  return { ...upload, kind: kindOf(upload, kinds) };
}
