/**
 * Sigstore bundles v0.3 (sigstore/protobuf-specs sigstore_bundle.proto, JSON
 * mapping) for any file and any predicate, signed with a managed key:
 *
 * - `messageSignature`: the signature over the file's bytes plus its digest,
 *   what `cosign sign-blob --bundle` writes. The digest algorithm is the
 *   signature's hash (SHA-256 for P-256 and Ed25519, SHA-384 for P-384,
 *   SHA-512 for P-521), since verifiers such as `@sigstore/verify` verify the
 *   signature with the hash the digest names.
 * - `dsseEnvelope` holding an in-toto Statement v1 (payloadType
 *   application/vnd.in-toto+json), what `cosign attest-blob` writes.
 *
 * The key is named by `verificationMaterial.publicKey.hint`: the OMS /
 * model_signing convention, hex SHA-256 of the SPKI PEM.
 */
import { createHash } from 'node:crypto';
import { canonicalBytes } from '../core/canonical-json.js';
import { AttestryError } from '../core/errors.js';
import { buildKeyBundle, BUNDLE_V03_MEDIA_TYPE, type KeyBundle } from './bundle.js';
import { signEnvelope } from './dsse.js';
import { buildStatement, INTOTO_PAYLOAD_TYPE, type ResourceDescriptor, type Statement } from './intoto.js';
import { omsKeyHint, sigstoreAlgorithm, type SigstoreKeyAlgorithm } from './keys.js';
import type { Signer } from './signer.js';

export type MessageDigestAlgorithm = 'SHA2_256' | 'SHA2_384' | 'SHA2_512';

export interface MessageSignatureBundle {
  mediaType: typeof BUNDLE_V03_MEDIA_TYPE;
  verificationMaterial: { publicKey: { hint: string }; tlogEntries: unknown[] };
  messageSignature: { messageDigest: { algorithm: MessageDigestAlgorithm; digest: string }; signature: string };
}

const MESSAGE_DIGEST: Record<SigstoreKeyAlgorithm, { proto: MessageDigestAlgorithm; node: string }> = {
  ed25519: { proto: 'SHA2_256', node: 'sha256' },
  'ecdsa-p256': { proto: 'SHA2_256', node: 'sha256' },
  'ecdsa-p384': { proto: 'SHA2_384', node: 'sha384' },
  'ecdsa-p521': { proto: 'SHA2_512', node: 'sha512' },
};

/** Signs a file's bytes into a message-signature bundle. */
export function signBlobBundle(data: Uint8Array, signer: Signer): MessageSignatureBundle {
  const digest = MESSAGE_DIGEST[sigstoreAlgorithm(signer.algorithm)];
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: { publicKey: { hint: omsKeyHint(signer.publicKey) }, tlogEntries: [] },
    messageSignature: {
      messageDigest: { algorithm: digest.proto, digest: createHash(digest.node).update(data).digest('base64') },
      signature: signer.sign(data).toString('base64'),
    },
  };
}

/** `sha256:<hex>` → an in-toto subject (named, when a name is given). */
export function subjectFromDigest(value: string, name?: string): ResourceDescriptor {
  const m = /^sha256:([0-9a-fA-F]{64})$/.exec(value);
  if (!m) throw new AttestryError('E_USAGE', `a subject digest must be sha256:<64 hex digits>, got "${value.slice(0, 80)}"`);
  return name === undefined ? { digest: { sha256: m[1]!.toLowerCase() } } : { name, digest: { sha256: m[1]!.toLowerCase() } };
}

export interface AttestationInput {
  subjects: readonly ResourceDescriptor[];
  predicateType: string;
  predicate: unknown;
}

/** Builds the in-toto Statement v1, signs it as DSSE (RFC 8785 JSON bytes) and wraps it in a bundle. */
export function attestBundle(input: AttestationInput, signer: Signer): { bundle: KeyBundle; statement: Statement } {
  if (input.subjects.length === 0)
    throw new AttestryError('E_USAGE', 'an attestation needs at least one subject (--subject FILE or --digest sha256:<hex>)');
  if (!/^[a-z][a-z0-9+.-]*:\S+$/i.test(input.predicateType)) {
    throw new AttestryError(
      'E_USAGE',
      `the predicate type must be a URI (e.g. https://slsa.dev/provenance/v1), got "${input.predicateType.slice(0, 200)}"`,
    );
  }
  if (typeof input.predicate !== 'object' || input.predicate === null || Array.isArray(input.predicate)) {
    throw new AttestryError('E_INVALID_INPUT', 'the predicate must be a JSON object (in-toto Statement v1 "predicate")');
  }
  const statement = buildStatement([...input.subjects], input.predicateType, input.predicate);
  const envelope = signEnvelope(INTOTO_PAYLOAD_TYPE, canonicalBytes(statement), [signer]);
  return { bundle: buildKeyBundle(envelope, omsKeyHint(signer.publicKey)), statement };
}
