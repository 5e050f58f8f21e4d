/**
 * GOST R 34.10-2012 digital signatures (RFC 7091) over 256-bit curves, with
 * Streebog-256 as the hash. Node's OpenSSL has no GOST, so the scheme runs on
 * @noble/curves' generic Weierstrass arithmetic, as SM2 does in sm2.ts.
 *
 * Conventions, those of OpenSSL's gost engine, RFC 4491 §2.2.2 and RFC 9215:
 * - hash to integer: α is the Streebog digest read as a LITTLE-endian number
 *   (the digest's bytes are the vector h̄ least significant byte first,
 *   RFC 7091 §6.1 step 2), e = α mod q, and e = 1 when that is 0;
 * - signature: 64 bytes, s ‖ r, each 32 bytes big-endian.
 */
import { randomBytes } from 'node:crypto';
import { bigFromBe, curvePoints, type CurvePoints } from './weierstrass-curve.js';
import { invert, mod } from '@noble/curves/abstract/modular.js';
import { AttestryError } from '../core/errors.js';
import { streebog256 } from './streebog.js';

export interface GostCurve {
  readonly name: string;
  readonly p: bigint;
  readonly a: bigint;
  readonly b: bigint;
  /** Order of the base point (the standard's q). */
  readonly q: bigint;
  readonly Gx: bigint;
  readonly Gy: bigint;
}

/** id-GostR3410-2001-CryptoPro-A-ParamSet, OID 1.2.643.2.2.35.1 (RFC 4357 §11.4); what tools use for 256-bit keys. */
export const GOST_CRYPTOPRO_A: GostCurve = {
  name: 'id-GostR3410-2001-CryptoPro-A-ParamSet',
  p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd97n,
  a: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd94n,
  b: 0xa6n,
  q: 0xffffffffffffffffffffffffffffffff6c611070995ad10045841b09b761b893n,
  Gx: 1n,
  Gy: 0x8d91e471e0989cda27df505a453f2b7635294f2ddf23e3b122acc99c9e9f1e14n,
};

/** The example curve of RFC 7091 Appendix A.1 (GOST R 34.10-2012 Annex A.1); for the known-answer test only. */
export const GOST_TEST_CURVE_256: GostCurve = {
  name: 'RFC 7091 A.1 test curve',
  p: 0x8000000000000000000000000000000000000000000000000000000000000431n,
  a: 7n,
  b: 0x5fbff498aa938ce739b8e022fbafef40563f6e6a3472fc2a514c0ce9dae23b7en,
  q: 0x8000000000000000000000000000000150fe8a1892976154c59cfc193accf5b3n,
  Gx: 2n,
  Gy: 0x08e2a8a0e65147d4bd6316030e16d19c85c97f0a9ca267122b96abbcea7e8fc8n,
};

/** Signature length for 256-bit curves: s ‖ r. */
export const GOST_SIGNATURE_BYTES = 64;

export interface GostPoint {
  readonly x: bigint;
  readonly y: bigint;
}

/** GOST calls the base point's order q. */
const gostPoints = (c: GostCurve): CurvePoints => curvePoints({ ...c, n: c.q });

export { bigFromBe };

export function bigFromLe(bytes: Uint8Array): bigint {
  return bigFromBe(Buffer.from(bytes).reverse());
}

export function beOf(n: bigint, len: number): Buffer {
  const hex = n.toString(16);
  if (hex.length > len * 2) throw new RangeError(`integer does not fit in ${len} bytes`);
  return Buffer.from(hex.padStart(len * 2, '0'), 'hex');
}

export function leOf(n: bigint, len: number): Buffer {
  return beOf(n, len).reverse();
}

/** e from a digest (RFC 7091 §6.1 steps 2-3): little-endian α mod q, never 0. */
export function gostDigestToE(c: GostCurve, digest: Uint8Array): bigint {
  const e = mod(bigFromLe(digest), c.q);
  return e === 0n ? 1n : e;
}

/** Q = dP; throws unless 0 < d < q. */
export function gostPublicPoint(c: GostCurve, d: bigint): GostPoint {
  if (d <= 0n || d >= c.q) throw new AttestryError('E_KEY_FORMAT', 'GOST R 34.10 private key is out of range [1, q-1]');
  const { x, y } = gostPoints(c).BASE.multiply(d).toAffine();
  return { x, y };
}

/** A uniform private key in [1, q-1]. */
export function gostRandomScalar(c: GostCurve): bigint {
  // 8 extra bytes make the bias of the reduction negligible (< 2^-64).
  return mod(bigFromBe(randomBytes(40)), c.q - 1n) + 1n;
}

/**
 * Signs the integer e (RFC 7091 §6.1 steps 3-6). `nonce` exists for the
 * known-answer test; callers leave it out and k comes from the CSPRNG.
 */
export function gostSignDigestE(c: GostCurve, d: bigint, e: bigint, nonce?: () => bigint): { r: bigint; s: bigint } {
  if (d <= 0n || d >= c.q) throw new AttestryError('E_KEY_FORMAT', 'GOST R 34.10 private key is out of range [1, q-1]');
  if (e <= 0n || e >= c.q) throw new RangeError('GOST R 34.10: e must be in [1, q-1]');
  const P = gostPoints(c);
  for (;;) {
    const k = nonce ? nonce() : gostRandomScalar(c);
    const r = mod(P.BASE.multiply(k).toAffine().x, c.q);
    if (r === 0n) continue;
    const s = mod(r * d + k * e, c.q);
    if (s === 0n) continue;
    return { r, s };
  }
}

/** Verifies (r, s) over e (RFC 7091 §6.2); false for anything out of range or off the curve. */
export function gostVerifyDigestE(c: GostCurve, pub: GostPoint, e: bigint, sig: { r: bigint; s: bigint }): boolean {
  const { r, s } = sig;
  if (r <= 0n || r >= c.q || s <= 0n || s >= c.q) return false;
  if (e <= 0n || e >= c.q) return false;
  const P = gostPoints(c);
  try {
    const Q = P.fromAffine(pub);
    Q.assertValidity();
    const v = invert(e, c.q);
    const z1 = mod(s * v, c.q);
    const z2 = mod(-r * v, c.q);
    const C = P.BASE.multiplyUnsafe(z1).add(Q.multiplyUnsafe(z2));
    if (C.is0()) return false;
    return mod(C.toAffine().x, c.q) === r;
  } catch {
    return false;
  }
}

/** Signs a message: Streebog-256, then the scheme; returns s ‖ r (64 bytes). */
export function gostSign(c: GostCurve, d: bigint, message: Uint8Array): Buffer {
  const { r, s } = gostSignDigestE(c, d, gostDigestToE(c, streebog256(message)));
  return Buffer.concat([beOf(s, 32), beOf(r, 32)]);
}

/** Verifies an s ‖ r signature; returns false (never throws) for malformed input: signatures are attacker input. */
export function gostVerify(c: GostCurve, pub: GostPoint, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== GOST_SIGNATURE_BYTES) return false;
  const s = bigFromBe(signature.subarray(0, 32));
  const r = bigFromBe(signature.subarray(32));
  return gostVerifyDigestE(c, pub, gostDigestToE(c, streebog256(message)), { r, s });
}
