/**
 * attestry's RFC 3161 timestamp authority: TimeStampReq in, TimeStampResp
 * out (§2.4), the token a CMS SignedData over a TSTInfo (§2.4.2) signed by
 * the TSA key, with the ESS signing-certificate-v2 attribute (RFC 5035) that
 * §2.4.1 requires. Encoded with pkijs/asn1js; the ECDSA signature itself is
 * made with node:crypto (synchronous, no WebCrypto round trip per token).
 *
 * What Sigstore verifiers check (sigstore-js `verify/src/timestamp/tsa.ts`,
 * `core/src/rfc3161`): the bundle's `signedTimestamp` is the whole
 * TimeStampResp; the message imprint is the SHA-256 of the signature bytes;
 * the signer is named by issuer and serial; the signature algorithm is ECDSA.
 */
import { createHash, createPrivateKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { AttestryError } from '../core/errors.js';
import { OID_ECDSA_SHA256 } from './tsa-certs.js';

const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
export const OID_TSTINFO = '1.2.840.113549.1.9.16.1.4';
const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const OID_SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47';
const OID_SHA256 = '2.16.840.1.101.3.4.2.1';

/**
 * The TSA policy under which attestry issues timestamps (TSTInfo.policy).
 * attestry has no registered OID arc, so this is OpenSSL's example TSA
 * policy (`tsa_policy1` in openssl.cnf), as self-hosted OpenSSL TSAs use.
 * Sigstore verifiers and `openssl ts -verify` do not check it. A UUID OID
 * (2.25.<128 bits>) would be unique, but Go's encoding/asn1 (sigstore-go)
 * cannot parse arcs beyond 63 bits.
 */
export const ATTESTRY_TSA_POLICY = '1.2.3.4.1';

/** Digests a request may use for its message imprint, with their lengths. */
const IMPRINT_HASHES: Readonly<Record<string, { name: string; length: number }>> = {
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', length: 32 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', length: 48 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', length: 64 },
};

/** PKIFailureInfo bits (RFC 3161 §2.4.2). */
export const FAILURE = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  systemFailure: 25,
} as const;
export type FailureName = keyof typeof FAILURE;

/** What crosses to a worker thread to timestamp there: the key never leaves the process. */
export interface TsaSettings {
  readonly privateKeyPem: string;
  /** The TSA certificate and its root, DER, leaf first. */
  readonly chainDer: readonly Uint8Array[];
}

export interface TimestampOptions {
  /** The request's nonce, echoed as sent (the INTEGER's content octets). */
  readonly nonce?: Uint8Array | undefined;
  /** Include the TSA certificate in the token (TimeStampReq.certReq). */
  readonly certReq?: boolean | undefined;
}

/**
 * A refused request: `E_INVALID_INPUT` whose `details.failInfo` names the
 * PKIFailureInfo bit; `respond` turns it into a rejection reply.
 */
function refused(failInfo: FailureName, message: string): AttestryError {
  return new AttestryError('E_INVALID_INPUT', message, { details: { failInfo } });
}

/** The PKIFailureInfo a refusal from parseTimestampRequest carries, if it is one. */
export function failInfoOf(e: unknown): FailureName | undefined {
  const f = e instanceof AttestryError ? e.details?.['failInfo'] : undefined;
  return typeof f === 'string' && f in FAILURE ? (f as FailureName) : undefined;
}

const ab = (b: Uint8Array): ArrayBuffer => new Uint8Array(b).buffer;
const der = (o: { toSchema(): asn1js.AsnType }): Buffer => Buffer.from(o.toSchema().toBER(false));
const algorithm = (oid: string): pkijs.AlgorithmIdentifier => new pkijs.AlgorithmIdentifier({ algorithmId: oid });

function attribute(type: string, value: asn1js.AsnType): pkijs.Attribute {
  return new pkijs.Attribute({ type, values: [value] });
}

/** The DER of a named-bit BIT STRING with one bit set (trailing zero bits dropped, X.690 §11.2.2). */
function failureBits(bit: number): asn1js.BitString {
  const bytes = new Uint8Array(Math.floor(bit / 8) + 1);
  bytes[bytes.length - 1] = 0x80 >> (bit % 8);
  return new asn1js.BitString({ valueHex: bytes.buffer, unusedBits: 7 - (bit % 8) });
}

/** A parsed, accepted TimeStampReq. */
export interface TimestampRequest {
  readonly hashAlgorithm: string;
  readonly hashedMessage: Buffer;
  readonly nonce?: Uint8Array | undefined;
  readonly certReq: boolean;
}

/** Parses and checks a DER TimeStampReq (§2.4.1); a refusal names its PKIFailureInfo (failInfoOf). */
export function parseTimestampRequest(body: Uint8Array): TimestampRequest {
  let req: pkijs.TimeStampReq;
  try {
    const parsed = asn1js.fromBER(ab(body));
    if (parsed.offset === -1 || parsed.offset !== body.length)
      throw refused('badDataFormat', 'the body is not one DER TimeStampReq (RFC 3161 §2.4.1)');
    req = new pkijs.TimeStampReq({ schema: parsed.result });
  } catch (e) {
    if (failInfoOf(e) !== undefined) throw e;
    // Includes a RangeError from hostile nesting: the parser recurses per level.
    throw refused('badDataFormat', 'the body is not a TimeStampReq (RFC 3161 §2.4.1)');
  }
  if (req.version !== 1) throw refused('badRequest', `TimeStampReq version ${req.version} is not 1`);
  const alg = req.messageImprint.hashAlgorithm;
  const hash = IMPRINT_HASHES[alg.algorithmId];
  if (hash === undefined) throw refused('badAlg', `message imprint algorithm ${alg.algorithmId} is not SHA-256, SHA-384 or SHA-512`);
  if (alg.algorithmParams !== undefined && !(alg.algorithmParams instanceof asn1js.Null))
    throw refused('badAlg', 'message imprint algorithm parameters must be absent or NULL');
  const hashedMessage = Buffer.from(req.messageImprint.hashedMessage.valueBlock.valueHexView);
  if (hashedMessage.length !== hash.length)
    throw refused('badDataFormat', `a ${hash.name} message imprint is ${hash.length} bytes, got ${hashedMessage.length}`);
  if (req.reqPolicy !== undefined && req.reqPolicy !== ATTESTRY_TSA_POLICY)
    throw refused('unacceptedPolicy', `this TSA issues timestamps under policy ${ATTESTRY_TSA_POLICY} only, not ${req.reqPolicy}`);
  if (req.extensions !== undefined && req.extensions.length > 0)
    throw refused('unacceptedExtension', 'this TSA accepts no request extensions');
  let nonce: Uint8Array | undefined;
  if (req.nonce !== undefined) {
    nonce = new Uint8Array(req.nonce.valueBlock.valueHexView);
    if (nonce.length === 0 || nonce.length > 64) throw refused('badRequest', 'the nonce must be 1 to 64 bytes');
  }
  return { hashAlgorithm: alg.algorithmId, hashedMessage, nonce, certReq: req.certReq === true };
}

/** DER tag-length-value; the framing that joins parts pkijs encoded (X.690 §8.1.3 definite lengths). */
export function tlv(tag: number, ...parts: readonly Uint8Array[]): Buffer {
  const length = parts.reduce((n, p) => n + p.length, 0);
  let header: number[];
  if (length < 0x80) header = [tag, length];
  else {
    const bytes: number[] = [];
    for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
    header = [tag, 0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from(header), ...parts]);
}

const SEQUENCE = 0x30;
const SET = 0x31;
const OCTET_STRING = 0x04;
const CONTEXT_0 = 0xa0;
const INTEGER = 0x02;
const GENERALIZED_TIME = 0x18;

/**
 * Issues timestamps with one key and certificate. The parts that are the
 * same in every token (status, certificate, signer id, algorithm
 * identifiers, attributes, policy, accuracy) are encoded by pkijs once, here;
 * a token joins them around its own imprint, serial number, time, nonce and
 * signature with DER framing (tests read every field back with pkijs,
 * @sigstore/core and OpenSSL). Encoding each token through pkijs objects
 * costs ~20 ECDSA signatures; this costs about 1.5 (`npm run bench:tsa`).
 */
export class TimestampAuthority {
  readonly #key: KeyObject;
  readonly #now: () => Date;
  readonly #parts: {
    readonly granted: Buffer;
    readonly signedDataOid: Buffer;
    readonly versionAndDigests: Buffer;
    readonly tstInfoOid: Buffer;
    readonly certificates: Buffer;
    readonly signerHead: Buffer;
    readonly signatureAlgorithm: Buffer;
    readonly fixedAttributes: readonly Buffer[];
    readonly tstInfoHead: Buffer;
    readonly accuracy: Buffer;
    readonly messageDigestOid: Buffer;
    readonly imprintAlgorithms: ReadonlyMap<string, Buffer>;
  };
  /** DER, leaf first: what trusted_root.json lists. */
  readonly chainDer: readonly Buffer[];
  readonly certificate: X509Certificate;

  constructor(settings: TsaSettings, now: () => Date = () => new Date()) {
    this.#key = createPrivateKey(settings.privateKeyPem);
    this.chainDer = settings.chainDer.map((d) => Buffer.from(d));
    const leafDer = this.chainDer[0];
    if (leafDer === undefined) throw new AttestryError('E_CONFIG', 'the TSA certificate chain is empty');
    this.certificate = new X509Certificate(leafDer);
    const leaf = pkijs.Certificate.fromBER(leafDer);
    this.#now = now;
    // SigningCertificateV2 { certs: [ESSCertIDv2 { certHash (SHA-256, the default algorithm), issuerSerial }] }
    const issuerSerial = new asn1js.Sequence({
      value: [
        new asn1js.Sequence({
          value: [new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 4 }, value: [leaf.issuer.toSchema()] })],
        }),
        leaf.serialNumber,
      ],
    });
    const certId = new asn1js.Sequence({
      value: [new asn1js.OctetString({ valueHex: ab(createHash('sha256').update(leafDer).digest()) }), issuerSerial],
    });
    const digestAlgorithm = der(algorithm(OID_SHA256));
    this.#parts = {
      granted: der(new pkijs.PKIStatusInfo({ status: pkijs.PKIStatus.granted })),
      signedDataOid: Buffer.from(new asn1js.ObjectIdentifier({ value: OID_SIGNED_DATA }).toBER(false)),
      // SignedData version 3: the content is not id-data (RFC 5652 §5.1).
      versionAndDigests: Buffer.concat([Buffer.from(new asn1js.Integer({ value: 3 }).toBER(false)), tlv(SET, digestAlgorithm)]),
      tstInfoOid: Buffer.from(new asn1js.ObjectIdentifier({ value: OID_TSTINFO }).toBER(false)),
      certificates: tlv(CONTEXT_0, leafDer),
      // SignerInfo version 1: the signer is named by issuer and serial number.
      signerHead: Buffer.concat([
        Buffer.from(new asn1js.Integer({ value: 1 }).toBER(false)),
        der(new pkijs.IssuerAndSerialNumber({ issuer: leaf.issuer, serialNumber: leaf.serialNumber })),
        digestAlgorithm,
      ]),
      signatureAlgorithm: der(algorithm(OID_ECDSA_SHA256)),
      // TSTInfo: version 1 and the policy, then per token the imprint, serial, time, then accuracy.
      tstInfoHead: Buffer.concat([
        Buffer.from(new asn1js.Integer({ value: 1 }).toBER(false)),
        Buffer.from(new asn1js.ObjectIdentifier({ value: ATTESTRY_TSA_POLICY }).toBER(false)),
      ]),
      accuracy: der(new pkijs.Accuracy({ seconds: 1 })),
      messageDigestOid: Buffer.from(new asn1js.ObjectIdentifier({ value: OID_MESSAGE_DIGEST }).toBER(false)),
      imprintAlgorithms: new Map(Object.keys(IMPRINT_HASHES).map((oid) => [oid, der(algorithm(oid))])),
      fixedAttributes: [
        der(attribute(OID_CONTENT_TYPE, new asn1js.ObjectIdentifier({ value: OID_TSTINFO }))),
        der(attribute(OID_SIGNING_CERTIFICATE_V2, new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [certId] })] }))),
      ],
    };
  }

  /** The time the certificate starts to vouch for timestamps (trusted_root `validFor.start`). */
  get validFrom(): Date {
    return new Date(this.certificate.validFrom);
  }

  /** A granted TimeStampResp (DER) over a message imprint. */
  timestamp(hashAlgorithmOid: string, hashedMessage: Uint8Array, options: TimestampOptions = {}): Buffer {
    const p = this.#parts;
    const serial = randomBytes(16);
    // Positive and minimal DER (OpenSSL rejects a padded INTEGER): the first byte is 1..127.
    serial[0] = 1 + ((serial[0] as number) % 127);
    const imprintAlgorithm = p.imprintAlgorithms.get(hashAlgorithmOid);
    if (imprintAlgorithm === undefined)
      throw new AttestryError('E_INVALID_INPUT', `message imprint algorithm ${hashAlgorithmOid} is not SHA-256, SHA-384 or SHA-512`);
    // TSTInfo (§2.4.2) in the field order pkijs.TSTInfo encodes. GeneralizedTime
    // in whole seconds: a DER fraction must drop trailing zeros, which not every parser accepts.
    const genTime = Buffer.from(`${this.#now().toISOString().slice(0, 19).replace(/[-:T]/g, '')}Z`, 'ascii');
    const tstDer = tlv(
      SEQUENCE,
      p.tstInfoHead,
      tlv(SEQUENCE, imprintAlgorithm, tlv(OCTET_STRING, hashedMessage)),
      tlv(INTEGER, serial),
      tlv(GENERALIZED_TIME, genTime),
      p.accuracy,
      ...(options.nonce !== undefined ? [tlv(INTEGER, options.nonce)] : []),
    );
    const messageDigest = tlv(SEQUENCE, p.messageDigestOid, tlv(SET, tlv(OCTET_STRING, createHash('sha256').update(tstDer).digest())));
    // DER orders a SET OF by encoding, and verifiers (OpenSSL) re-encode the
    // signed attributes before checking the signature: sort them.
    const attributes = [...p.fixedAttributes, messageDigest].sort((a, b) => Buffer.compare(a, b));
    // Signed as a SET OF (RFC 5652 §5.4), sent as [0] IMPLICIT.
    const signature = sign('sha256', tlv(SET, ...attributes), { key: this.#key, dsaEncoding: 'der' });
    const signerInfo = tlv(SEQUENCE, p.signerHead, tlv(CONTEXT_0, ...attributes), p.signatureAlgorithm, tlv(OCTET_STRING, signature));
    const encapContentInfo = tlv(SEQUENCE, p.tstInfoOid, tlv(CONTEXT_0, tlv(OCTET_STRING, tstDer)));
    const signedData = tlv(
      SEQUENCE,
      p.versionAndDigests,
      encapContentInfo,
      ...(options.certReq === true ? [p.certificates] : []),
      tlv(SET, signerInfo),
    );
    return tlv(SEQUENCE, p.granted, tlv(SEQUENCE, p.signedDataOid, tlv(CONTEXT_0, signedData)));
  }

  /**
   * The timestamp a logged record carries: over SHA-256 of its signature
   * bytes. Without the TSA certificate (~450 bytes per stored row, which
   * measurably slows the write path): verifiers take it from
   * trusted_root.json, `openssl ts -verify` from `-untrusted`.
   */
  timestampSignature(signature: Uint8Array): Buffer {
    return this.timestamp(OID_SHA256, createHash('sha256').update(signature).digest());
  }

  /**
   * The HTTP exchange of RFC 3161 §3.4: a DER TimeStampReq in, a DER
   * TimeStampResp out. A refused request gets status `rejection` with its
   * PKIFailureInfo and a reason text, and HTTP 400.
   */
  respond(body: Uint8Array): { status: 200 | 400 | 500; reply: Buffer } {
    let request: TimestampRequest;
    try {
      request = parseTimestampRequest(body);
    } catch (e) {
      const failure = failInfoOf(e);
      if (failure === undefined) throw e;
      return { status: 400, reply: rejection(failure, (e as Error).message) };
    }
    try {
      return {
        status: 200,
        reply: this.timestamp(request.hashAlgorithm, request.hashedMessage, { nonce: request.nonce, certReq: request.certReq }),
      };
    } catch {
      return { status: 500, reply: rejection('systemFailure', 'the timestamp could not be issued; see the server log') };
    }
  }
}

/** A TimeStampResp with status `rejection`, a reason and the failure bit. */
export function rejection(failure: FailureName, reason: string): Buffer {
  const status = new pkijs.PKIStatusInfo({
    status: pkijs.PKIStatus.rejection,
    statusStrings: [new asn1js.Utf8String({ value: reason.slice(0, 200) })],
    failInfo: failureBits(FAILURE[failure]),
  });
  return der(new pkijs.TimeStampResp({ status }));
}
