/**
 * Public keys and signatures in the shapes PKCS#11 tokens use, converted to
 * the ones software keys use: SPKI from CKA_EC_PARAMS + CKA_EC_POINT
 * (PKCS#11 v3.0 §2.3.3, §2.3.5), and ECDSA signatures from the token's
 * r || s (PKCS#11 §2.3.1) to DER (RFC 3279 §2.2.3), as node:crypto writes them.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { AttestryError } from '../core/errors.js';
import { derBitString, derOid, derSequence, derUnsignedInteger } from './der.js';
import { keyAlgorithmOf } from './keys.js';

const EC_PUBLIC_KEY_OID = '1.2.840.10045.2.1';
const ED25519_OID_DER = Buffer.from('06032b6570', 'hex');
// PKCS#11 v3.0 also lets CKA_EC_PARAMS name the curve as a PrintableString.
const ED25519_NAME_DER = Buffer.concat([Buffer.from([0x13, 12]), Buffer.from('edwards25519', 'ascii')]);

/** Reads a DER OCTET STRING when `buf` is exactly one; tokens differ on whether CKA_EC_POINT is wrapped. */
function unwrapOctetString(buf: Buffer): Buffer {
  if (buf.length < 2 || buf[0] !== 0x04) return buf;
  let len = buf[1]!;
  let start = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 2 || buf.length < 2 + n) return buf;
    len = buf.readUIntBE(2, n);
    start = 2 + n;
  }
  return start + len === buf.length ? buf.subarray(start) : buf;
}

/** The SPKI public key of an EC or EdDSA token key. */
export function publicKeyFromEcAttributes(keyType: 'ec' | 'ed', ecParams: Buffer, ecPoint: Buffer, what: string): KeyObject {
  const point = unwrapOctetString(ecPoint);
  let spki: Buffer;
  if (keyType === 'ed') {
    if (!ecParams.equals(ED25519_OID_DER) && !ecParams.equals(ED25519_NAME_DER)) {
      throw new AttestryError(
        'E_KEY_UNSUPPORTED',
        `${what} is an EdDSA key on a curve other than Ed25519; attestry signs with Ed25519, ECDSA P-256, P-384 or P-521`,
      );
    }
    if (point.length !== 32) throw new AttestryError('E_KEY_FORMAT', `${what}: the Ed25519 public key is ${point.length} bytes, not 32`);
    spki = derSequence(derSequence(ED25519_OID_DER), derBitString(point));
  } else {
    if (ecParams[0] !== 0x06) throw new AttestryError('E_KEY_UNSUPPORTED', `${what}: CKA_EC_PARAMS is not a named curve`);
    spki = derSequence(derSequence(derOid(EC_PUBLIC_KEY_OID), ecParams), derBitString(point));
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch (e) {
    throw new AttestryError('E_KEY_FORMAT', `${what}: the token's public key does not parse (${(e as Error).message})`, { cause: e });
  }
  keyAlgorithmOf(key);
  return key;
}

/** ECDSA signature r || s (each the curve's size) → DER SEQUENCE { r INTEGER, s INTEGER }. */
export function p1363ToDer(signature: Uint8Array): Buffer {
  if (signature.length === 0 || signature.length % 2 !== 0)
    throw new AttestryError('E_SIGNATURE_FORMAT', `ECDSA signature from the token has odd length ${signature.length}`);
  const half = signature.length / 2;
  return derSequence(derUnsignedInteger(signature.subarray(0, half)), derUnsignedInteger(signature.subarray(half)));
}

/** Bytes of r and of s for a curve, which is also the token's output length / 2. */
export const ECDSA_FIELD_BYTES = { 'ecdsa-p256': 32, 'ecdsa-p384': 48, 'ecdsa-p521': 66 } as const;
