import { parseJsonText } from '../../core/validation.js';
import { parseBundle } from '../../crypto/bundle.js';
import { decodeBase64, parseEnvelope, type DsseEnvelope } from '../../crypto/dsse.js';
import { INTOTO_PAYLOAD_TYPE, parseStatement } from '../../crypto/intoto.js';
import { dsseEntryBody, parseDsseEntryBody } from '../../tlog/entry.js';
import type { EvidenceFormat, ParseOptions, ParsedUpload, SignedContentHandler } from './format.js';
import { DSSE_MEDIA_TYPE, noControlCharacters, type DsseContent, type ParsedSubject } from './signed-content.js';

/**
 * What the locker indexes of a DSSE envelope: predicate type and sha256
 * subjects when the payload is an in-toto statement, or of a payload type a
 * kind claims (which may be a bare predicate object, like seed 002's AI
 * attestations).
 */
function readEnvelope(
  format: string,
  envelope: DsseEnvelope,
  mediaType: string,
  keyHint: string | undefined,
  options: ParseOptions | undefined,
): ParsedUpload {
  const payload = decodeBase64(envelope.payload);
  let predicateType: string | null = null;
  let subjects: ParsedSubject[] = [];
  if (envelope.payloadType === INTOTO_PAYLOAD_TYPE || options?.readsPayloadType?.(envelope.payloadType) === true) {
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
  noControlCharacters(envelope.payloadType, 'payloadType');
  if (predicateType !== null) noControlCharacters(predicateType, 'predicateType');
  for (const s of subjects) if (s.name !== null) noControlCharacters(s.name, 'subject name');
  const unique = new Map(subjects.map((s) => [s.digest, s]));
  return {
    format,
    mediaType,
    content: { type: 'dsse', envelope },
    keyHint,
    payloadType: envelope.payloadType,
    predicateType,
    subjects: [...unique.values()],
  };
}

/** A bare DSSE envelope: what `attestry attest` and most in-toto tooling upload. */
export const dsseEnvelopeFormat: EvidenceFormat = {
  name: 'dsse-envelope',
  // The fallback shape: anything that is not a bundle is read as an envelope (and refused as one).
  detect: () => true,
  parse: (json, options) => readEnvelope('dsse-envelope', parseEnvelope(json), DSSE_MEDIA_TYPE, undefined, options),
};

/** A Sigstore bundle holding a DSSE envelope (model signatures are these). */
export const sigstoreDsseBundleFormat: EvidenceFormat = {
  name: 'sigstore-bundle-dsse',
  detect: (json) => 'dsseEnvelope' in json || 'mediaType' in json,
  parse(json, options) {
    const bundle = parseBundle(json);
    return readEnvelope(
      'sigstore-bundle-dsse',
      bundle.dsseEnvelope,
      bundle.mediaType,
      bundle.verificationMaterial.publicKey?.hint,
      options,
    );
  },
};

/** DSSE envelopes are logged as Rekor v2 `dsse` entries and exported as `dsseEnvelope`. */
export const dsseContentHandler: SignedContentHandler<DsseContent> = {
  type: 'dsse',
  logEntryBody: (content, signature, publicKey) => dsseEntryBody(content.envelope, signature, publicKey),
  loggedContent: (content) => ({ envelope: content.envelope }),
  loggedSignature: (_content, entryBody) => (parseDsseEntryBody(entryBody).signatures[0] as { signature: Buffer }).signature,
};
