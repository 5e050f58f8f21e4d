/**
 * ECDSA verification of a signature over an already computed digest, for
 * message signatures whose service never sees the file (sign-blob --upload
 * sends the digest only). node:crypto always hashes its input, so this goes
 * through @noble/curves' audited `verify` with prehash disabled. Ed25519
 * (PureEdDSA, RFC 8032) signs the message itself and cannot be checked this
 * way: callers refuse it before getting here.
 */
import type { KeyObject } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';

/** The message digest each supported curve signs (Sigstore PKIX_ECDSA_P256_SHA_256, PKIX_ECDSA_P384_SHA_384). */
const CURVES = {
  'P-256': { curve: p256, digestAlgorithm: 'SHA2_256', digestLength: 32 },
  'P-384': { curve: p384, digestAlgorithm: 'SHA2_384', digestLength: 48 },
} as const;

export type DigestCurve = keyof typeof CURVES;

/** The curve of an ECDSA P-256/P-384 key, or undefined for any other key. */
export function digestCurveOf(key: KeyObject): DigestCurve | undefined {
  // JWK export throws for curve SM2.
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve === 'SM2') return undefined;
  const crv = key.export({ format: 'jwk' }).crv;
  return crv === 'P-256' || crv === 'P-384' ? crv : undefined;
}

/** An EC public key's JWK curve name and uncompressed SEC1 point (0x04 || x || y); undefined for other keys. */
export function ecPublicPoint(key: KeyObject): { crv: string; point: Uint8Array } | undefined {
  // JWK export throws for curve SM2.
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve === 'SM2') return undefined;
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv === undefined || jwk.x === undefined || jwk.y === undefined) return undefined;
  return { crv: jwk.crv, point: Buffer.concat([Buffer.of(4), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]) };
}

/** The Sigstore digest algorithm name a curve's signatures are made over. */
export const digestAlgorithmFor = (curve: DigestCurve): string => CURVES[curve].digestAlgorithm;

/**
 * True when `derSignature` is `key`'s ECDSA signature over `digest`, named by
 * `algorithm` (SHA2_256 for P-256, SHA2_384 for P-384; any other pairing is
 * false, so a short digest cannot be passed off as a truncated long one).
 * Malformed input is false, never an exception: it is attacker input.
 */
export function verifyDigestSignature(key: KeyObject, algorithm: string, digest: Uint8Array, derSignature: Uint8Array): boolean {
  const curve = digestCurveOf(key);
  if (curve === undefined) return false;
  const c = CURVES[curve];
  if (algorithm !== c.digestAlgorithm || digest.length !== c.digestLength) return false;
  const point = ecPublicPoint(key)?.point;
  if (point === undefined) return false;
  try {
    // lowS: false: OpenSSL (node:crypto signers) and Sigstore clients make either s.
    return c.curve.verify(derSignature, digest, point, { prehash: false, lowS: false, format: 'der' });
  } catch {
    return false;
  }
}
