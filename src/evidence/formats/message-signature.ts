import { requireKeyObject } from '../../crypto/keys.js';
import { z } from 'zod';
import { AttestryError } from '../../core/errors.js';
import { parseWith } from '../../core/validation.js';
import { hashedRekordEntryBody } from '../../tlog/hashedrekord.js';
import type { EvidenceFormat, SignedContentHandler } from './format.js';
import { noControlCharacters, type MessageSignatureContent } from './signed-content.js';

/** What a message signature records in the payload-type column: there is no DSSE payload. */
export const MESSAGE_SIGNATURE_PAYLOAD_TYPE = 'messageSignature';

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
export const sigstoreMessageBundleFormat: EvidenceFormat = {
  name: 'sigstore-bundle-message',
  detect: (json) => 'messageSignature' in json,
  parse(json) {
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
      format: 'sigstore-bundle-message',
      mediaType: bundle.mediaType,
      content: { type: 'message', algorithm: messageDigest.algorithm, digest: messageDigest.digest, signature },
      keyHint: hint,
      payloadType: MESSAGE_SIGNATURE_PAYLOAD_TYPE,
      predicateType: null,
      subjects,
    };
  },
};

/** Message signatures are logged as `hashedrekord` entries and exported as `messageSignature`. */
export const messageContentHandler: SignedContentHandler<MessageSignatureContent> = {
  type: 'message',
  logEntryBody: (content, signature, publicKey) =>
    hashedRekordEntryBody(
      { algorithm: content.algorithm, digest: Buffer.from(content.digest, 'base64') },
      signature,
      // A signed digest is Sigstore's hashedrekord: only its key types.
      requireKeyObject(publicKey, 'message signatures (hashedrekord entries)'),
    ),
  loggedContent: (content) => ({
    messageSignature: { messageDigest: { algorithm: content.algorithm, digest: content.digest }, signature: content.signature },
  }),
  loggedSignature: (content) => Buffer.from(content.signature, 'base64'),
};
