/**
 * What a signature covers, in the shape `@sigstore/verify` checks
 * (`SignatureContent`), for the two cases the library (v3, the last line that
 * runs on Node 20) does not handle:
 *
 * - a message signature checked against the artifact's digest only (no file):
 *   ECDSA over a given SHA-256 digest, which node:crypto cannot do, through
 *   @noble/curves' audited `verify(..., { prehash: false })`;
 * - a DSSE envelope logged to Rekor v2 as `hashedrekord/0.0.2`, whose digest is
 *   Hash(PAE(payloadType, payload)) (rekor-v2 spec §6.1.4) rather than the
 *   payload's digest the library compares (fixed upstream in @sigstore/verify 4,
 *   which needs Node 22);
 * - a message signature made with an Ed25519 key: the library passes the
 *   message digest's hash name to `crypto.verify`, which Ed25519 refuses (it
 *   signs the artifact itself, RFC 8032 PureEdDSA).
 */
import { createHash, timingSafeEqual, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import type { MessageSignature } from '@sigstore/bundle';
import type { SignedEntity } from '@sigstore/verify';
import { AttestryError } from '../core/errors.js';
import { ecPublicPoint } from '../crypto/prehashed.js';

export type SignatureContent = SignedEntity['signature'];

function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const CURVES = { 'P-256': p256, 'P-384': p384, 'P-521': p521 } as const;

/** Uncompressed SEC1 point of an EC public key, and its curve. */
function ecPoint(key: KeyObject): { curve: (typeof CURVES)[keyof typeof CURVES]; point: Uint8Array } {
  const ec = ecPublicPoint(key);
  const curve = ec === undefined ? undefined : CURVES[ec.crv as keyof typeof CURVES];
  if (ec === undefined || curve === undefined) {
    throw new AttestryError(
      'E_USAGE',
      `verifying against a digest alone needs an ECDSA key (P-256, P-384, P-521), not ${key.asymmetricKeyType ?? 'this key'}: ${key.asymmetricKeyType === 'ed25519' ? 'Ed25519 signs the artifact itself' : 'give the artifact'} (--artifact)`,
    );
  }
  return { curve, point: ec.point };
}

/** ECDSA verification of a DER signature over an already computed digest. */
export function verifyPrehashed(key: KeyObject, digest: Uint8Array, derSignature: Uint8Array): boolean {
  const { curve, point } = ecPoint(key);
  try {
    // lowS: false: Sigstore clients and OpenSSL accept either s; only bitcoin-style verifiers require low s.
    return curve.verify(derSignature, digest, point, { prehash: false, lowS: false, format: 'der' });
  } catch {
    return false; // malformed DER or point: not a valid signature
  }
}

/** A message signature verified against the artifact's digest instead of its bytes. */
export class DigestMessageSignature implements SignatureContent {
  readonly signature: Buffer;
  private readonly digest: Buffer;

  constructor(messageSignature: MessageSignature, digest: Buffer) {
    this.signature = messageSignature.signature;
    this.digest = digest;
  }

  compareSignature(signature: Buffer): boolean {
    return same(signature, this.signature);
  }

  compareDigest(digest: Buffer): boolean {
    return same(digest, this.digest);
  }

  verifySignature(key: KeyObject): boolean {
    return verifyPrehashed(key, this.digest, this.signature);
  }
}

const HASH_BY_LENGTH: Record<number, string> = { 32: 'sha256', 48: 'sha384', 64: 'sha512' };

/**
 * The DSSE content as a Rekor v2 hashedrekord entry sees it: the same signature,
 * but the logged digest is that of the PAE bytes the signature covers. The
 * algorithm follows the logged digest's length (SHA-256 for P-256 keys, …).
 */
export function signedBytesContent(content: SignatureContent, signedBytes: Buffer): SignatureContent {
  return {
    signature: content.signature,
    compareSignature: (signature: Buffer) => content.compareSignature(signature),
    compareDigest: (digest: Buffer) => {
      const algorithm = HASH_BY_LENGTH[digest.length];
      return algorithm !== undefined && same(digest, createHash(algorithm).update(signedBytes).digest());
    },
    verifySignature: (key: KeyObject) => content.verifySignature(key),
  };
}

/** A message signature over the artifact's bytes whose Ed25519 keys are verified as PureEdDSA. */
export function bytesMessageContent(content: SignatureContent, artifact: Buffer): SignatureContent {
  return {
    signature: content.signature,
    compareSignature: (signature: Buffer) => content.compareSignature(signature),
    compareDigest: (digest: Buffer) => content.compareDigest(digest),
    verifySignature: (key: KeyObject) => {
      if (key.asymmetricKeyType !== 'ed25519') return content.verifySignature(key);
      try {
        return nodeVerify(null, artifact, key, content.signature);
      } catch {
        return false;
      }
    },
  };
}

/** The hash each ECDSA curve signs with in Sigstore key details (PKIX_ECDSA_P384_SHA_384, …). */
const EC_HASH: Record<string, string> = { 'P-256': 'sha256', 'P-384': 'sha384', 'P-521': 'sha512' };

/**
 * A DSSE signature whose ECDSA keys are verified with their curve's hash.
 * sigstore-js verifies with Node's default digest (SHA-256) whatever the
 * curve, so a P-384 envelope, as model_signing makes with its default
 * elliptic key, would never verify. The SHA-256 reading is still accepted
 * for bundles sigstore-js signed that way.
 */
export function dsseContent(content: SignatureContent, paeBytes: Buffer): SignatureContent {
  return {
    signature: content.signature,
    compareSignature: (signature: Buffer) => content.compareSignature(signature),
    compareDigest: (digest: Buffer) => content.compareDigest(digest),
    verifySignature: (key: KeyObject) => {
      const curve = key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : undefined;
      const hash =
        curve === undefined ? undefined : EC_HASH[{ prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' }[curve] ?? curve];
      if (hash === undefined || hash === 'sha256') return content.verifySignature(key);
      let ok = false;
      try {
        ok = nodeVerify(hash, paeBytes, key, content.signature);
      } catch {
        ok = false;
      }
      // Envelopes that sigstore-js itself signed with a P-384/P-521 key hash with SHA-256; still theirs.
      return ok || content.verifySignature(key);
    },
  };
}

/** The content with its signature already verified with `key` (that same key object is not verified twice). */
export function verifiedWith(content: SignatureContent, key: KeyObject): SignatureContent {
  return {
    signature: content.signature,
    compareSignature: (signature: Buffer) => content.compareSignature(signature),
    compareDigest: (digest: Buffer) => content.compareDigest(digest),
    verifySignature: (k: KeyObject) => k === key || content.verifySignature(k),
  };
}
