import type { EvidenceKind } from '../store/blob/cas-layout.js';
import { AI_PAYLOAD_TYPE, parseUpload, type ParsedUpload } from './formats/index.js';

export { DSSE_MEDIA_TYPE, type MessageSignatureContent, type SignedContent } from './formats/index.js';

/**
 * Which locker kind an upload is, from its predicate type (standard URIs,
 * listed here as data so the locker does not depend on the domains above it).
 */
const KIND_BY_PREDICATE: Readonly<Record<string, EvidenceKind>> = {
  'https://model_signing/signature/v1.0': 'model-signatures',
  'https://model_signing/Digests/v0.1': 'model-signatures',
  'https://stellaops.org/attestation/ai-artifact/v1': 'ai-attestations',
  'https://stella.ops/attestation/runtime-facts/v1': 'attestations',
};

export interface ParsedEvidence extends ParsedUpload {
  readonly kind: EvidenceKind;
}

/**
 * The kind of an upload from what its format read: the one lookup
 * classification makes (a message signature is its own kind whatever it says).
 */
function kindOf(upload: Pick<ParsedUpload, 'format' | 'predicateType' | 'payloadType'>): EvidenceKind {
  if (upload.format === 'sigstore-bundle-message') return 'message-signatures';
  return (
    (upload.predicateType !== null ? KIND_BY_PREDICATE[upload.predicateType] : undefined) ??
    (upload.payloadType === AI_PAYLOAD_TYPE ? 'ai-attestations' : 'attestations')
  );
}

/**
 * Accepts a DSSE envelope, or a Sigstore bundle holding one (model
 * signatures are bundles) or a message signature (see formats/). Subjects
 * with a sha256 digest become searchable.
 */
export function parseEvidence(body: Uint8Array, alreadyParsed?: unknown): ParsedEvidence {
  const upload = parseUpload(body, alreadyParsed);
  return { ...upload, kind: kindOf(upload) };
}
