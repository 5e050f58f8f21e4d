/**
 * The timestamp authority's certificate chain: a self-signed root CA and a
 * TSA leaf certificate it issues (RFC 3161 §2.3: the one key purpose
 * id-kp-timeStamping, marked critical), encoded with pkijs. Made once, on
 * first start, and kept beside the keys; several nodes sharing `keys/tsa/`
 * share the chain (the first to link its file wins, the others read it).
 */
import { createHash, createPublicKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { fsyncDir, writeFileAtomic } from '../core/atomic-file.js';
import { AttestryError, ioError } from '../core/errors.js';
import { Keyring } from '../crypto/keyring.js';
import { loadPrivateKey, publicKeyDer } from '../crypto/keys.js';

export const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2';
export const OID_KP_TIMESTAMPING = '1.3.6.1.5.5.7.3.8';
const OID_CN = '2.5.4.3';

/** A parsed chain, leaf first (the order of trusted_root.json `certChain`). */
export interface TsaChain {
  readonly leaf: X509Certificate;
  readonly root: X509Certificate;
  /** DER, leaf first. */
  readonly der: readonly Buffer[];
}

const ROOT_YEARS = 20;
// The leaf outlives every timestamp it signs; a timestamp made after notAfter would not verify.
const LEAF_YEARS = 10;

/** A one-attribute name (pkijs would put several attributes into one multi-valued RDN). */
function name(commonName: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [new pkijs.AttributeTypeAndValue({ type: OID_CN, value: new asn1js.Utf8String({ value: commonName }) })],
  });
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(spki: pkijs.PublicKeyInfo): ArrayBuffer {
  return new Uint8Array(createHash('sha1').update(new Uint8Array(spki.subjectPublicKey.valueBlock.valueHexView)).digest()).buffer;
}

function extension(extnID: string, critical: boolean, value: asn1js.AsnType): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER(false) });
}

const years = (from: Date, n: number): Date => {
  const d = new Date(from);
  d.setUTCFullYear(d.getUTCFullYear() + n);
  return d;
};

interface CertSpec {
  readonly subject: pkijs.RelativeDistinguishedNames;
  readonly issuer: pkijs.RelativeDistinguishedNames;
  readonly publicKey: KeyObject;
  readonly issuerKey: KeyObject;
  readonly issuerSpki: pkijs.PublicKeyInfo;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extensions: (ski: ArrayBuffer, aki: ArrayBuffer) => pkijs.Extension[];
}

/** Builds and signs one certificate; the signature is made with node:crypto (ECDSA P-256, SHA-256). */
function issue(spec: CertSpec): Buffer {
  const cert = new pkijs.Certificate();
  cert.version = 2;
  const serial = randomBytes(16);
  // Positive and minimal (DER, X.690 §8.3.2: no leading 0x00 before a byte < 0x80): the first byte is 1..127.
  serial[0] = 1 + ((serial[0] as number) % 127);
  cert.serialNumber = new asn1js.Integer({ valueHex: new Uint8Array(serial).buffer });
  cert.subject = spec.subject;
  cert.issuer = spec.issuer;
  cert.notBefore.value = spec.notBefore;
  cert.notAfter.value = spec.notAfter;
  cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(publicKeyDer(spec.publicKey));
  cert.extensions = spec.extensions(keyIdentifier(cert.subjectPublicKeyInfo), keyIdentifier(spec.issuerSpki));
  cert.signature = new pkijs.AlgorithmIdentifier({ algorithmId: OID_ECDSA_SHA256 });
  cert.signatureAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: OID_ECDSA_SHA256 });
  const tbs = Buffer.from(cert.encodeTBS().toBER(false));
  cert.tbsView = new Uint8Array(tbs);
  const signature = sign('sha256', tbs, { key: spec.issuerKey, dsaEncoding: 'der' });
  cert.signatureValue = new asn1js.BitString({ valueHex: new Uint8Array(signature).buffer });
  return Buffer.from(cert.toSchema().toBER(false));
}

/** Makes a root CA and a TSA leaf for the given keys (both ECDSA P-256: what Sigstore verifiers accept for TSAs). */
export function createTsaChain(
  rootKey: { privateKey: KeyObject; publicKey: KeyObject },
  signerPublicKey: KeyObject,
  now: Date,
  organization = 'attestry',
): Buffer[] {
  // A minute of slack so a verifier whose clock is a little behind still sees the chain as valid.
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000 - 60_000);
  const rootName = name(`${organization} timestamp root CA`);
  const rootSpki = pkijs.PublicKeyInfo.fromBER(publicKeyDer(rootKey.publicKey));
  const root = issue({
    subject: rootName,
    issuer: rootName,
    publicKey: rootKey.publicKey,
    issuerKey: rootKey.privateKey,
    issuerSpki: rootSpki,
    notBefore,
    notAfter: years(notBefore, ROOT_YEARS),
    extensions: (ski) => [
      extension('2.5.29.19', true, new pkijs.BasicConstraints({ cA: true, pathLenConstraint: 0 }).toSchema()),
      // keyCertSign | cRLSign
      extension('2.5.29.15', true, new asn1js.BitString({ valueHex: new Uint8Array([0x06]).buffer, unusedBits: 1 })),
      extension('2.5.29.14', false, new asn1js.OctetString({ valueHex: ski })),
    ],
  });
  const leaf = issue({
    subject: name(`${organization} timestamp authority`),
    issuer: rootName,
    publicKey: signerPublicKey,
    issuerKey: rootKey.privateKey,
    issuerSpki: rootSpki,
    notBefore,
    notAfter: years(notBefore, LEAF_YEARS),
    extensions: (ski, aki) => [
      extension('2.5.29.19', true, new pkijs.BasicConstraints({ cA: false }).toSchema()),
      // digitalSignature
      extension('2.5.29.15', true, new asn1js.BitString({ valueHex: new Uint8Array([0x80]).buffer, unusedBits: 7 })),
      // RFC 3161 §2.3: exactly one key purpose, timeStamping, and critical.
      extension('2.5.29.37', true, new pkijs.ExtKeyUsage({ keyPurposes: [OID_KP_TIMESTAMPING] }).toSchema()),
      extension('2.5.29.14', false, new asn1js.OctetString({ valueHex: ski })),
      extension(
        '2.5.29.35',
        false,
        new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: aki }) }).toSchema(),
      ),
    ],
  });
  return [leaf, root];
}

const PEM_RE = /-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+?)-----END CERTIFICATE-----/g;

export function chainToPem(der: readonly Buffer[]): string {
  return der
    .map(
      (d) =>
        `-----BEGIN CERTIFICATE-----\n${d.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`,
    )
    .join('');
}

/** Parses a chain file and checks it is a TSA leaf issued by a root, for the expected signer key. */
export function parseTsaChain(pem: string, signerPublicKey: KeyObject, source: string): TsaChain {
  const der = [...pem.matchAll(PEM_RE)].map((m) => Buffer.from((m[1] as string).replace(/\s/g, ''), 'base64'));
  if (der.length !== 2)
    throw new AttestryError('E_CONFIG', `${source}: expected the TSA certificate and its root CA, found ${der.length} certificate(s)`);
  let leaf: X509Certificate;
  let root: X509Certificate;
  try {
    leaf = new X509Certificate(der[0] as Buffer);
    root = new X509Certificate(der[1] as Buffer);
  } catch (cause) {
    throw new AttestryError('E_CONFIG', `${source}: not an X.509 certificate chain`, { cause });
  }
  if (!leaf.publicKey.equals(signerPublicKey))
    throw new AttestryError(
      'E_CONFIG',
      `${source}: the TSA certificate is not for the TSA signing key beside it; remove the chain file to make a new one`,
    );
  if (!leaf.checkIssued(root) || !leaf.verify(root.publicKey) || !root.verify(root.publicKey))
    throw new AttestryError('E_CONFIG', `${source}: the TSA certificate is not issued by the root CA that follows it`);
  return { leaf, root, der };
}

/**
 * Returns the chain stored at `path`, creating it first when absent. Creation
 * links a complete temp file into place, so of several nodes starting at once
 * exactly one chain wins and every node uses it.
 */
export function ensureTsaChain(
  path: string,
  dir: string,
  make: () => Buffer[],
  signerPublicKey: KeyObject,
): { chain: TsaChain; created: boolean } {
  let created = false;
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(e, 'read TSA certificate chain', path);
  }
  if (text === undefined) {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileAtomic(tmp, chainToPem(make()), 0o644);
    try {
      linkSync(tmp, path);
      fsyncDir(dir);
      created = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(e, 'create TSA certificate chain', path);
    } finally {
      unlinkSync(tmp);
    }
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw ioError(e, 'read TSA certificate chain', path);
    }
  }
  return { chain: parseTsaChain(text, signerPublicKey, path), created };
}

/** Key ids of the TSA's two keys in its own keyring directory (never evidence signers). */
export const TSA_ROOT_KEY_ID = 'tsa-root';
export const TSA_SIGNER_KEY_ID = 'tsa-signer';

/**
 * Opens the TSA kept in `dir` (`keys/tsa/`): an ECDSA P-256 root key, an
 * ECDSA P-256 signing key and `chain.pem`, each created on first use.
 */
export function openTsaDirectory(dir: string, now: Date): { privateKeyPem: string; chain: TsaChain; created: boolean } {
  const keyring = new Keyring(dir);
  keyring.ensure(TSA_ROOT_KEY_ID, 'ecdsa-p256');
  const signer = keyring.ensure(TSA_SIGNER_KEY_ID, 'ecdsa-p256');
  const signerPublicKey = createPublicKey(signer.info.publicKeyPem);
  const path = join(dir, 'chain.pem');
  const { chain, created } = ensureTsaChain(
    path,
    dir,
    () => {
      const rootPrivate = loadPrivateKey(keyring.privateKeyPem(TSA_ROOT_KEY_ID), join(dir, `${TSA_ROOT_KEY_ID}.key.pem`));
      return createTsaChain({ privateKey: rootPrivate, publicKey: createPublicKey(rootPrivate) }, signerPublicKey, now);
    },
    signerPublicKey,
  );
  return { privateKeyPem: keyring.privateKeyPem(TSA_SIGNER_KEY_ID), chain, created: created || signer.created };
}
