/**
 * Key handles for GOST R 34.10-2012 (256-bit) keys. Node's OpenSSL cannot
 * load them, so there is no KeyObject: these classes hold the scalar or point
 * and read and write the encodings of RFC 9215 §4 (= RFC 4491 §2.3.2), as
 * OpenSSL's gost engine does:
 *
 *   AlgorithmIdentifier { id-tc26-gost3410-12-256 (1.2.643.7.1.1.1.1),
 *     SEQUENCE { publicKeyParamSet OID, digestParamSet id-tc26-gost3411-12-256 (1.2.643.7.1.1.2.2) } }
 *   SPKI subjectPublicKey: BIT STRING { OCTET STRING(64) x ‖ y, each little-endian }
 *   PKCS#8 privateKey:     OCTET STRING { d, 32 bytes little-endian }
 *
 * On input a privateKey holding an OCTET STRING (LE) or an INTEGER (BE) is
 * read too (older engine versions), and digestParamSet may be absent.
 */
import { AttestryError } from '../core/errors.js';
import { derBitString, derInteger, derOctetString, derOid, derSequence, toPem } from './der.js';
import {
  GOST_CRYPTOPRO_A,
  bigFromBe,
  bigFromLe,
  gostPublicPoint,
  gostRandomScalar,
  gostSign,
  gostVerify,
  leOf,
  type GostCurve,
  type GostPoint,
} from './gost3410.js';
import { decodeDer, derChildren, oidOf, type Tlv } from './der-read.js';

export const OID_GOST3410_12_256 = '1.2.643.7.1.1.1.1';
export const OID_GOST3411_12_256 = '1.2.643.7.1.1.2.2';
export const OID_CRYPTOPRO_A = '1.2.643.2.2.35.1';
/** GOST algorithms attestry recognises only to refuse them by name. */
const OTHER_GOST_OIDS: Readonly<Record<string, string>> = {
  '1.2.643.7.1.1.1.2': 'GOST R 34.10-2012 512-bit',
  '1.2.643.2.2.19': 'GOST R 34.10-2001',
};

/** publicKeyParamSet OIDs attestry signs with. */
const PARAM_SETS: Readonly<Record<string, GostCurve>> = { [OID_CRYPTOPRO_A]: GOST_CRYPTOPRO_A };

function oidOfCurve(c: GostCurve): string {
  const hit = Object.entries(PARAM_SETS).find(([, v]) => v === c);
  if (hit === undefined) throw new AttestryError('E_KEY_UNSUPPORTED', `GOST parameter set ${c.name} has no key encoding`);
  return hit[0];
}

function algorithmIdentifier(c: GostCurve): Buffer {
  return derSequence(derOid(OID_GOST3410_12_256), derSequence(derOid(oidOfCurve(c)), derOid(OID_GOST3411_12_256)));
}

export class GostPublicKey {
  readonly type = 'public';
  readonly #der: Buffer;

  /** Throws E_KEY_FORMAT when the point is not on the curve. */
  constructor(
    readonly curve: GostCurve,
    readonly point: GostPoint,
    spkiDer?: Buffer,
  ) {
    if (!gostVerifyPointOk(curve, point)) throw new AttestryError('E_KEY_FORMAT', 'GOST R 34.10 public key is not a point on its curve');
    // A parsed key keeps its own bytes, so its fingerprint is that of the file it came from.
    this.#der =
      spkiDer ??
      derSequence(algorithmIdentifier(curve), derBitString(derOctetString(Buffer.concat([leOf(point.x, 32), leOf(point.y, 32)]))));
  }

  spkiDer(): Buffer {
    return Buffer.from(this.#der);
  }

  pem(): string {
    return toPem('PUBLIC KEY', this.#der);
  }

  equals(other: GostPublicKey): boolean {
    return this.curve === other.curve && this.point.x === other.point.x && this.point.y === other.point.y;
  }

  verify(data: Uint8Array, signature: Uint8Array): boolean {
    return gostVerify(this.curve, this.point, data, signature);
  }
}

function gostVerifyPointOk(c: GostCurve, p: GostPoint): boolean {
  if (p.x < 0n || p.x >= c.p || p.y < 0n || p.y >= c.p) return false;
  return (p.y * p.y - (p.x * p.x * p.x + c.a * p.x + c.b)) % c.p === 0n;
}

export class GostPrivateKey {
  readonly type = 'private';
  readonly #d: bigint;
  #public: GostPublicKey | undefined;

  /** Throws E_KEY_FORMAT unless 0 < d < q. */
  constructor(
    readonly curve: GostCurve,
    d: bigint,
  ) {
    gostPublicPoint(curve, d);
    this.#d = d;
  }

  static generate(curve: GostCurve = GOST_CRYPTOPRO_A): GostPrivateKey {
    return new GostPrivateKey(curve, gostRandomScalar(curve));
  }

  get publicKey(): GostPublicKey {
    this.#public ??= new GostPublicKey(this.curve, gostPublicPoint(this.curve, this.#d));
    return this.#public;
  }

  pkcs8Der(): Buffer {
    return derSequence(derInteger(0), algorithmIdentifier(this.curve), derOctetString(leOf(this.#d, 32)));
  }

  pem(): string {
    return toPem('PRIVATE KEY', this.pkcs8Der());
  }

  sign(data: Uint8Array): Buffer {
    return gostSign(this.curve, this.#d, data);
  }

  // The scalar never reaches logs through util.inspect or JSON.stringify.
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `GostPrivateKey { curve: '${this.curve.name}' }`;
  }
  toJSON(): { type: 'private'; curve: string } {
    return { type: 'private', curve: this.curve.name };
  }
}

/** The GOST algorithm OID of an AlgorithmIdentifier, or undefined when it is no GOST one. */
function gostAlgorithm(alg: Tlv, source: string): GostCurve | undefined {
  const [oid, params] = derChildren(alg, 0x30, source);
  const algOid = oidOf(oid, source);
  if (algOid !== OID_GOST3410_12_256) {
    const other = OTHER_GOST_OIDS[algOid];
    if (other !== undefined)
      throw new AttestryError('E_KEY_UNSUPPORTED', `${source} is a ${other} key; attestry signs with 256-bit GOST R 34.10-2012 keys`);
    return undefined;
  }
  if (params === undefined) throw new AttestryError('E_KEY_FORMAT', `${source}: GOST key without parameters`);
  const [paramSet, digest, extra] = derChildren(params, 0x30, source);
  const paramOid = oidOf(paramSet, source);
  if (digest !== undefined && oidOf(digest, source) !== OID_GOST3411_12_256) {
    throw new AttestryError('E_KEY_UNSUPPORTED', `${source}: GOST key digest parameters are not Streebog-256 (${OID_GOST3411_12_256})`);
  }
  if (extra !== undefined) throw new AttestryError('E_KEY_FORMAT', `${source}: unexpected field in GOST key parameters`);
  const curve = PARAM_SETS[paramOid];
  if (curve === undefined) {
    throw new AttestryError(
      'E_KEY_UNSUPPORTED',
      `${source}: GOST parameter set ${paramOid} is not supported; use ${OID_CRYPTOPRO_A} (CryptoPro-A)`,
    );
  }
  return curve;
}

/**
 * Parses a SubjectPublicKeyInfo; undefined when it is not a GOST key (the
 * caller hands it to Node), E_KEY_FORMAT / E_KEY_UNSUPPORTED when it is one
 * but malformed or of a kind attestry does not sign with.
 */
export function parseGostSpki(der: Uint8Array, source: string): GostPublicKey | undefined {
  const top = decodeDer(der, source);
  const [alg, bits, extra] = derChildren(top, 0x30, source);
  if (alg === undefined || bits === undefined || extra !== undefined) return undefined;
  const curve = gostAlgorithm(alg, source);
  if (curve === undefined) return undefined;
  if (bits.tag !== 0x03 || bits.body.length < 1 || bits.body[0] !== 0)
    throw new AttestryError('E_KEY_FORMAT', `${source}: bad GOST public key BIT STRING`);
  const inner = decodeDer(bits.body.subarray(1), source);
  if (inner.tag !== 0x04 || inner.body.length !== 64)
    throw new AttestryError('E_KEY_FORMAT', `${source}: GOST public key is not a 64-byte OCTET STRING`);
  const point = { x: bigFromLe(inner.body.subarray(0, 32)), y: bigFromLe(inner.body.subarray(32)) };
  return new GostPublicKey(curve, point, Buffer.from(der));
}

/** Parses a PKCS#8 PrivateKeyInfo; undefined when it is not a GOST key. */
export function parseGostPkcs8(der: Uint8Array, source: string): GostPrivateKey | undefined {
  const top = decodeDer(der, source);
  const [version, alg, key] = derChildren(top, 0x30, source);
  if (version === undefined || alg === undefined || key === undefined || version.tag !== 0x02) return undefined;
  const curve = gostAlgorithm(alg, source);
  if (curve === undefined) return undefined;
  if (key.tag !== 0x04) throw new AttestryError('E_KEY_FORMAT', `${source}: GOST privateKey is not an OCTET STRING`);
  return new GostPrivateKey(curve, privateScalar(key.body, source));
}

function privateScalar(body: Buffer, source: string): bigint {
  if (body.length === 32) return bigFromLe(body);
  const inner = decodeDer(body, source);
  if (inner.tag === 0x04 && inner.body.length === 32) return bigFromLe(inner.body);
  if (inner.tag === 0x02 && inner.body.length >= 1 && inner.body.length <= 33 && (inner.body[0]! & 0x80) === 0)
    return bigFromBe(inner.body);
  throw new AttestryError(
    'E_KEY_FORMAT',
    `${source}: GOST private key is neither 32 raw bytes, an OCTET STRING nor an INTEGER (masked CryptoPro keys are not supported)`,
  );
}

export function generateGostKeyPair(curve: GostCurve = GOST_CRYPTOPRO_A): { privateKey: GostPrivateKey; publicKey: GostPublicKey } {
  const privateKey = GostPrivateKey.generate(curve);
  return { privateKey, publicKey: privateKey.publicKey };
}
