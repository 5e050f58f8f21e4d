/**
 * Certificate-chain checks sigstore-js does not make on its own:
 *
 * - a bundle must not carry a root certificate (bundle spec: the chain holds
 *   the leaf and optionally intermediates; roots come from the trusted root).
 *   The conformance suite's `bundle-with-root-cert_fail` demands the refusal;
 *   sigstore-js only fails that bundle by accident, on a missing checkpoint.
 * - model_signing's "certificate" method: the leaf chains, through the bundle's
 *   intermediates, to a CA the verifier names, and may sign. The chain itself is
 *   built and checked by sigstore-js's `CertificateChainVerifier` (names,
 *   signatures, CA flags, path length, validity at the signing time).
 */
import { X509Certificate as NodeX509, createPublicKey, type KeyObject } from 'node:crypto';
import { X509Certificate } from '@sigstore/core';
import type { Bundle } from '@sigstore/protobuf-specs';
import { CertificateChainVerifier } from '@sigstore/verify/dist/key/certificate.js';
import { AttestryError } from '../core/errors.js';
import { asCheckFailure, checkFailed } from './failures.js';

function parseCertificate(der: Buffer, what: string): X509Certificate {
  try {
    return X509Certificate.parse(Buffer.from(der));
  } catch (e) {
    throw new AttestryError('E_SIGNATURE_FORMAT', `${what} is not a DER X.509 certificate: ${(e as Error).message}`, { cause: e });
  }
}

function selfSigned(cert: X509Certificate): boolean {
  if (!cert.subject.equals(cert.issuer)) return false;
  try {
    return cert.verify();
  } catch {
    return false;
  }
}

/** The bundle's certificates, leaf first (any protobuf bundle: validated or lenient). */
export function bundleCertificates(bundle: Bundle): X509Certificate[] {
  const c = bundle.verificationMaterial?.content;
  if (c?.$case === 'x509CertificateChain')
    return c.x509CertificateChain.certificates.map((x, i) => parseCertificate(x.rawBytes, `bundle certificate ${i}`));
  if (c?.$case === 'certificate') return [parseCertificate(c.certificate.rawBytes, 'bundle certificate')];
  return [];
}

export function checkChainHasNoRoot(bundle: Bundle): void {
  const certs = bundleCertificates(bundle);
  const root = certs.findIndex(selfSigned);
  if (root >= 0) {
    throw checkFailed(
      'certificate-chain',
      `the bundle's certificate ${root} is a self-signed root; a bundle may carry the leaf and intermediates only, roots come from the trusted root`,
    );
  }
}

/** Splits PEM text into the DER of each CERTIFICATE block. */
export function certificatesFromPem(pem: string, source: string): X509Certificate[] {
  const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)];
  if (blocks.length === 0) throw new AttestryError('E_KEY_FORMAT', `${source} holds no PEM certificate`);
  return blocks.map((m, i) => parseCertificate(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'), `${source} certificate ${i}`));
}

const OID_CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

export interface ChainVerification {
  publicKey: KeyObject;
  /** Leaf first, the trusted CA last. */
  path: X509Certificate[];
  signingTime: Date;
}

/**
 * model_signing `verify certificate`: the bundle's leaf chains to one of
 * `anchors` (self-signed CAs the caller trusts), checked at the leaf's
 * notBefore as model_signing does (the signature carries no timestamp), and
 * its key usage allows signing (digitalSignature, or extended key usage codeSigning).
 */
export function verifyChainToAnchors(bundle: Bundle, anchors: X509Certificate[]): ChainVerification {
  const certs = bundleCertificates(bundle);
  const leaf = certs[0];
  if (leaf === undefined) throw checkFailed('verification-material', 'the bundle carries no certificate (it is signed with a key)');
  const intermediates = certs.slice(1);
  const signingTime = leaf.notBefore;
  let path: X509Certificate[] | undefined;
  let lastError: unknown;
  for (const anchor of anchors) {
    try {
      // The bundle's intermediates are offered as path material; the path is
      // accepted only if it ends at the caller's anchor, checked below, so a
      // self-signed certificate smuggled into the bundle cannot end it.
      const candidate = new CertificateChainVerifier({
        trustedCerts: [anchor, ...intermediates],
        untrustedCert: leaf,
        timestamp: signingTime,
      }).verify();
      const top = candidate[candidate.length - 1];
      if (top !== undefined && top.equals(anchor)) {
        path = candidate;
        break;
      }
      lastError = new Error('the chain ends at a certificate that is not a given CA');
    } catch (e) {
      lastError = e;
    }
  }
  if (path === undefined) {
    const reason = lastError instanceof Error ? lastError.message : 'no path';
    throw asCheckFailure(
      new Error(`the signing certificate does not chain to the given CA certificate(s): ${reason}`),
      'certificate-chain',
    );
  }
  const digitalSignature = leaf.extKeyUsage?.digitalSignature === true;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- undefined without the extension, whatever @types/node says
  const codeSigning = (new NodeX509(leaf.root.toDER()).keyUsage ?? []).includes(OID_CODE_SIGNING);
  if (!digitalSignature && !codeSigning)
    throw checkFailed(
      'certificate',
      'the signing certificate may not sign (neither digitalSignature key usage nor codeSigning extended key usage)',
    );
  return { publicKey: createPublicKey({ key: leaf.publicKey, format: 'der', type: 'spki' }), path, signingTime };
}
