import { AttestryError } from '../core/errors.js';
import { parseJsonText } from '../core/validation.js';
import { parseBundle } from '../crypto/bundle.js';
import { decodeBase64, parseEnvelope, type DsseEnvelope } from '../crypto/dsse.js';
import { INTOTO_PAYLOAD_TYPE, parseStatement } from '../crypto/intoto.js';
import type { EvidenceKind } from '../store/blob/cas-layout.js';

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
const AI_PAYLOAD_TYPE = 'application/vnd.stellaops.ai-attestation+json';
export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';

export interface ParsedEvidence {
  readonly kind: EvidenceKind;
  /** DSSE envelope media type, or the Sigstore bundle's when one was uploaded. */
  readonly mediaType: string;
  readonly envelope: DsseEnvelope;
  /** `verificationMaterial.publicKey.hint` of an uploaded Sigstore bundle. */
  readonly keyHint: string | undefined;
  readonly payloadType: string;
  readonly predicateType: string | null;
  readonly subjects: readonly { digest: string; name: string | null }[];
}

/**
 * Accepts a DSSE envelope, or a Sigstore bundle holding one (model
 * signatures are bundles). Subjects with a sha256 digest become searchable.
 */
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

function noControlCharacters(value: string, field: string): void {
  if (CONTROL_RE.test(value)) throw new AttestryError('E_INVALID_INPUT', `${field} contains a control character`);
}

export function parseEvidence(body: Uint8Array, alreadyParsed?: unknown): ParsedEvidence {
  // The HTTP layer has parsed the same bytes once already; do not pay twice.
  const json = alreadyParsed ?? parseJsonText(Buffer.from(body).toString('utf8'), 'request body', 'E_INVALID_INPUT');
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new AttestryError('E_INVALID_INPUT', 'request body must be a JSON object: a DSSE envelope or a Sigstore bundle');
  }
  let envelope: DsseEnvelope;
  let mediaType = DSSE_MEDIA_TYPE;
  let keyHint: string | undefined;
  if ('dsseEnvelope' in json || 'mediaType' in json) {
    const bundle = parseBundle(json);
    envelope = bundle.dsseEnvelope;
    mediaType = bundle.mediaType;
    keyHint = bundle.verificationMaterial.publicKey?.hint;
  } else {
    envelope = parseEnvelope(json);
  }
  const payload = decodeBase64(envelope.payload);
  let predicateType: string | null = null;
  let subjects: { digest: string; name: string | null }[] = [];
  if (envelope.payloadType === INTOTO_PAYLOAD_TYPE || envelope.payloadType === AI_PAYLOAD_TYPE) {
    const statementJson = parseJsonText(payload.toString('utf8'), 'DSSE payload', 'E_SIGNATURE_FORMAT');
    const looksLikeStatement = typeof statementJson === 'object' && statementJson !== null && '_type' in statementJson;
    if (envelope.payloadType === INTOTO_PAYLOAD_TYPE || looksLikeStatement) {
      const statement = parseStatement(statementJson);
      predicateType = statement.predicateType;
      subjects = statement.subject.flatMap((s) => {
        const hex = s.digest['sha256'];
        return hex === undefined ? [] : [{ digest: `sha256:${hex.toLowerCase()}`, name: s.name ?? null }];
      });
    } else if (typeof statementJson === 'object' && statementJson !== null && 'predicateType' in statementJson) {
      const p = (statementJson as { predicateType: unknown }).predicateType;
      predicateType = typeof p === 'string' ? p : null;
    }
  }
  // These strings are indexed; control characters (PostgreSQL refuses NUL in
  // text outright) have no place in a media type, URI or file name.
  noControlCharacters(envelope.payloadType, 'payloadType');
  if (predicateType !== null) noControlCharacters(predicateType, 'predicateType');
  for (const s of subjects) if (s.name !== null) noControlCharacters(s.name, 'subject name');
  const kind: EvidenceKind =
    (predicateType !== null ? KIND_BY_PREDICATE[predicateType] : undefined) ?? (envelope.payloadType === AI_PAYLOAD_TYPE ? 'ai-attestations' : 'attestations');
  const unique = new Map(subjects.map((s) => [s.digest, s]));
  return { kind, mediaType, envelope, keyHint, payloadType: envelope.payloadType, predicateType, subjects: [...unique.values()] };
}
