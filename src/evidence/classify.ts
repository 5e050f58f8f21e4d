import { AttestryError } from '../core/errors.js';
import { z } from 'zod';
import { parseJsonText, parseWith } from '../core/validation.js';
import { parseBundle } from '../crypto/bundle.js';
import { decodeBase64, parseEnvelope, type DsseEnvelope } from '../crypto/dsse.js';
import { INTOTO_PAYLOAD_TYPE, parseStatement } from '../crypto/intoto.js';
import { builtinKinds, type EvidenceKind } from '../kinds/builtin.js';
import type { KindRegistry } from '../kinds/registry.js';

export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';

/** A message signature: `signature` (DER ECDSA, base64) over `digest` (base64) of a file the service never sees. */
export interface MessageSignatureContent {
  readonly type: 'message';
  readonly algorithm: string;
  readonly digest: string;
  readonly signature: string;
}

/** What was signed: a DSSE envelope, or a message signature over a digest. */
export type SignedContent = { readonly type: 'dsse'; readonly envelope: DsseEnvelope } | MessageSignatureContent;

export interface ParsedEvidence {
  readonly kind: EvidenceKind;
  /** DSSE envelope media type, or the Sigstore bundle's when one was uploaded. */
  readonly mediaType: string;
  readonly content: SignedContent;
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

export function parseEvidence(body: Uint8Array, alreadyParsed?: unknown, kinds: KindRegistry = builtinKinds()): ParsedEvidence {
  // The HTTP layer has parsed the same bytes once already; do not pay twice.
  const json = alreadyParsed ?? parseJsonText(Buffer.from(body).toString('utf8'), 'request body', 'E_INVALID_INPUT');
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new AttestryError(
      'E_INVALID_INPUT',
      'request body must be a JSON object: a DSSE envelope or a Sigstore bundle (DSSE or message signature)',
    );
  }
  if ('messageSignature' in json) return parseMessageSignatureBundle(json);
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
  // A payload type a kind claims (the AI attestation type) carries a statement or a bare predicate document.
  if (envelope.payloadType === INTOTO_PAYLOAD_TYPE || kinds.kindOfPayloadType(envelope.payloadType) !== undefined) {
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
      const p = statementJson.predicateType;
      predicateType = typeof p === 'string' ? p : null;
    }
  }
  // These strings are indexed; control characters (PostgreSQL refuses NUL in
  // text outright) have no place in a media type, URI or file name.
  noControlCharacters(envelope.payloadType, 'payloadType');
  if (predicateType !== null) noControlCharacters(predicateType, 'predicateType');
  for (const s of subjects) if (s.name !== null) noControlCharacters(s.name, 'subject name');
  const kind: EvidenceKind = kinds.classify(predicateType, envelope.payloadType);
  const unique = new Map(subjects.map((s) => [s.digest, s]));
  return {
    kind,
    mediaType,
    content: { type: 'dsse', envelope },
    keyHint,
    payloadType: envelope.payloadType,
    predicateType,
    subjects: [...unique.values()],
  };
}

const b64 = z
  .string()
  .max(1 << 12)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64');
const MessageSignatureBundleSchema = z.object({
  mediaType: z
    .string()
    .regex(/^application\/vnd\.dev\.sigstore\.bundle/, 'not a Sigstore bundle media type')
    .max(200),
  verificationMaterial: z.looseObject({ publicKey: z.looseObject({ hint: z.string().max(512) }).optional() }),
  messageSignature: z.object({
    messageDigest: z.object({ algorithm: z.enum(['SHA2_256', 'SHA2_384']), digest: b64 }),
    signature: b64.min(1),
  }),
});

/**
 * A Sigstore bundle with a `messageSignature` (what `attestry sign-blob` and
 * `cosign sign-blob --bundle` write): stored as a message signature whose
 * subject, when the digest is SHA-256, is the signed file.
 */
function parseMessageSignatureBundle(json: unknown): ParsedEvidence {
  const bundle = parseWith(MessageSignatureBundleSchema, json, 'message signature bundle', 'E_SIGNATURE_FORMAT');
  const { messageDigest, signature } = bundle.messageSignature;
  const digest = Buffer.from(messageDigest.digest, 'base64');
  if (digest.length !== (messageDigest.algorithm === 'SHA2_256' ? 32 : 48)) {
    throw new AttestryError(
      'E_SIGNATURE_FORMAT',
      `messageSignature.messageDigest: ${digest.length} bytes is not a ${messageDigest.algorithm} digest`,
    );
  }
  const hint = bundle.verificationMaterial.publicKey?.hint;
  if (hint !== undefined) noControlCharacters(hint, 'publicKey hint');
  const subjects = messageDigest.algorithm === 'SHA2_256' ? [{ digest: `sha256:${digest.toString('hex')}`, name: null }] : [];
  return {
    kind: 'message-signatures',
    mediaType: bundle.mediaType,
    content: { type: 'message', algorithm: messageDigest.algorithm, digest: messageDigest.digest, signature },
    keyHint: hint,
    // No DSSE payload: the column records what was signed instead.
    payloadType: 'messageSignature',
    predicateType: null,
    subjects,
  };
}
