/**
 * SM2 digital signatures (GB/T 32918.2-2016, draft-shen-sm2-ecdsa-02) with
 * SM3. Node makes and stores SM2 keys (EC on curve "SM2", OID
 * 1.2.156.10197.1.301), but `crypto.sign` on them is plain ECDSA over the SM2
 * curve, not the SM2 scheme, so the scheme is computed here on @noble/curves'
 * generic Weierstrass arithmetic. Signatures are DER SEQUENCE{r, s}, as
 * OpenSSL 3 and GmSSL write them.
 */
import { createHash, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { DER } from '@noble/curves/abstract/weierstrass.js';
import { mod, invert } from '@noble/curves/abstract/modular.js';
import { AttestryError } from '../core/errors.js';
import { bigFromBe, curvePoints, type CurvePoint } from './weierstrass-curve.js';

export interface Sm2Curve {
  readonly p: bigint;
  readonly a: bigint;
  readonly b: bigint;
  readonly n: bigint;
  readonly Gx: bigint;
  readonly Gy: bigint;
}

/** The recommended curve sm2p256v1 (GB/T 32918.5-2017). */
export const SM2_P256: Sm2Curve = {
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
};

/** GB/T 35276 default distinguishing ID; what OpenSSL and GmSSL use unless told otherwise. */
export const SM2_DEFAULT_ID = '1234567812345678';

function bytesOf(c: Sm2Curve): number {
  return Math.ceil(c.p.toString(16).length / 2);
}

function be(n: bigint, len: number): Buffer {
  return Buffer.from(n.toString(16).padStart(len * 2, '0'), 'hex');
}

const toBig = bigFromBe;

function sm3(...parts: Uint8Array[]): Buffer {
  const h = createHash('sm3');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A). */
export function sm2Za(c: Sm2Curve, id: Uint8Array, x: bigint, y: bigint): Buffer {
  const bits = id.length * 8;
  if (bits > 0xffff) throw new AttestryError('E_USAGE', 'SM2 distinguishing ID is longer than 8191 bytes; use a shorter ID');
  const len = bytesOf(c);
  return sm3(Buffer.of(bits >> 8, bits & 0xff), id, be(c.a, len), be(c.b, len), be(c.Gx, len), be(c.Gy, len), be(x, len), be(y, len));
}

function digestE(c: Sm2Curve, id: Uint8Array, pub: CurvePoint, message: Uint8Array): bigint {
  const { x, y } = pub.toAffine();
  return toBig(sm3(sm2Za(c, id, x, y), message));
}

/**
 * Signs per GB/T 32918.2 §6.1. `nonce` exists for the standard's known-answer
 * test; callers leave it out and get k from the CSPRNG.
 */
export function sm2SignRaw(
  c: Sm2Curve,
  d: bigint,
  message: Uint8Array,
  id: Uint8Array = Buffer.from(SM2_DEFAULT_ID),
  nonce?: () => bigint,
): { r: bigint; s: bigint } {
  const P = curvePoints(c);
  if (d <= 0n || d >= c.n - 1n) throw new AttestryError('E_KEY_FORMAT', 'SM2 private key is out of range [1, n-2]');
  const e = digestE(c, id, P.BASE.multiply(d), message);
  const dInv = invert(1n + d, c.n);
  for (;;) {
    const k = nonce ? nonce() : mod(toBig(randomBytes(bytesOf(c) + 8)), c.n - 1n) + 1n;
    const x1 = P.BASE.multiply(k).toAffine().x;
    const r = mod(e + x1, c.n);
    if (r === 0n || r + k === c.n) continue;
    const s = mod(dInv * (k - r * d), c.n);
    if (s === 0n) continue;
    return { r, s };
  }
}

/** Verifies per GB/T 32918.2 §7.1; false for anything out of range. */
export function sm2VerifyRaw(
  c: Sm2Curve,
  pub: { x: bigint; y: bigint },
  message: Uint8Array,
  sig: { r: bigint; s: bigint },
  id: Uint8Array = Buffer.from(SM2_DEFAULT_ID),
): boolean {
  const { r, s } = sig;
  if (r < 1n || r >= c.n || s < 1n || s >= c.n) return false;
  const P = curvePoints(c);
  let Q: CurvePoint;
  try {
    Q = P.fromAffine(pub);
    Q.assertValidity();
  } catch {
    return false;
  }
  const t = mod(r + s, c.n);
  if (t === 0n) return false;
  const X = P.BASE.multiplyUnsafe(s).add(Q.multiplyUnsafe(t));
  if (X.is0()) return false;
  return mod(digestE(c, id, Q, message) + X.toAffine().x, c.n) === r;
}

/*
 * Keys are read from their DER because Node offers nothing else for them: JWK
 * export refuses curve SM2, and a key loaded from PEM comes back from OpenSSL 3
 * as type EVP_PKEY_SM2, which Node reports as asymmetricKeyType undefined and
 * whose SEC1 export aborts the process. PKCS#8 and SPKI exports work.
 */

/** SPKI DER up to the point: id-ecPublicKey, curve 1.2.156.10197.1.301, BIT STRING(66). */
const SM2_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a811ccf5501822d034200', 'hex');
// PKCS#8 PrivateKeyInfo for SM2: version, the AlgorithmIdentifier above, then OCTET STRING{ ECPrivateKey{ 1, OCTET STRING(32) d, ... } }.
const SM2_PKCS8_ALG = Buffer.from('301306072a8648ce3d020106082a811ccf5501822d', 'hex');
const EC_PRIVATE_D = Buffer.from('0201010420', 'hex');

function spkiOf(key: KeyObject): Buffer {
  return (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' });
}

/** Whether a key is on curve SM2, whatever type Node reports for it. */
export function isSm2Key(key: KeyObject): boolean {
  if (key.type === 'secret') return false;
  if (key.asymmetricKeyType === 'ec') return key.asymmetricKeyDetails?.namedCurve === 'SM2';
  if (key.asymmetricKeyType !== undefined) return false;
  try {
    const der = spkiOf(key);
    return der.length === SM2_SPKI_PREFIX.length + 65 && der.subarray(0, SM2_SPKI_PREFIX.length).equals(SM2_SPKI_PREFIX);
  } catch {
    return false;
  }
}

function privateScalar(key: KeyObject): bigint {
  const der = key.export({ type: 'pkcs8', format: 'der' });
  const alg = der.indexOf(SM2_PKCS8_ALG);
  const at = alg < 0 ? -1 : der.indexOf(EC_PRIVATE_D, alg + SM2_PKCS8_ALG.length);
  if (at < 0 || at > alg + SM2_PKCS8_ALG.length + 8) {
    throw new AttestryError('E_KEY_FORMAT', 'SM2 private key has an unexpected PKCS#8 layout; re-create it with keygen');
  }
  return toBig(der.subarray(at + EC_PRIVATE_D.length, at + EC_PRIVATE_D.length + 32));
}

/** The uncompressed point at the end of the SPKI DER (04 ‖ X ‖ Y). */
export function sm2PublicPoint(key: KeyObject): { x: bigint; y: bigint } {
  const der = spkiOf(key);
  const point = der.subarray(der.length - 65);
  if (point[0] !== 0x04) throw new AttestryError('E_KEY_FORMAT', 'SM2 public key is not an uncompressed point');
  return { x: toBig(point.subarray(1, 33)), y: toBig(point.subarray(33)) };
}

export function sm2Sign(privateKey: KeyObject, data: Uint8Array): Buffer {
  const sig = sm2SignRaw(SM2_P256, privateScalar(privateKey), data);
  return Buffer.from(DER.hexFromSig(sig), 'hex');
}

/** Returns false for malformed DER too: signatures are attacker input. */
export function sm2Verify(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  let sig: { r: bigint; s: bigint };
  try {
    sig = DER.toSig(signature);
    // Re-encoding rejects non-canonical DER that the lenient parser let through.
    if (!Buffer.from(DER.hexFromSig(sig), 'hex').equals(Buffer.from(signature))) return false;
  } catch {
    return false;
  }
  return sm2VerifyRaw(SM2_P256, sm2PublicPoint(publicKey), data, sig);
}
