/**
 * model_signing's two other verification methods (model_signing `verify
 * sigstore` and `verify certificate`, OMS v1.0 §7):
 *
 * - keyless: a Fulcio certificate for an OIDC identity, logged in Rekor; the
 *   bundle is a standard Sigstore bundle, verified offline like any other
 *   (`verifySigstoreBundle`) against an identity and identity provider;
 * - certificate: a leaf certificate in the bundle that chains, through the
 *   bundle's intermediates, to a CA the verifier names; its key verifies the
 *   envelope. No log, no timestamp (model_signing checks the chain at the
 *   leaf's notBefore).
 *
 * Both end where key-based verification ends: a verified in-toto statement.
 */
import { verify as nodeVerify, type KeyObject } from 'node:crypto';
import { AttestryError } from '../core/errors.js';
import { parseJsonText } from '../core/validation.js';
import type { Digest } from '../core/digest.js';
import { verifyEnvelope, type DsseEnvelope } from '../crypto/dsse.js';
import { INTOTO_PAYLOAD_TYPE, parseStatement } from '../crypto/intoto.js';
import { KEY_ALGORITHMS, keyAlgorithmOf, keyFingerprint, type KeyAlgorithm } from '../crypto/keys.js';
import { createVerifier } from '../crypto/signer.js';
import {
  certificatesFromPem,
  readLenientBundleFile,
  readSigstoreBundleFile,
  verifyChainToAnchors,
  verifySigstoreBundle,
  type ParsedSigstoreBundle,
  type SigstoreTrustRoot,
} from '../sigstore/index.js';
import { legacyPae } from './legacy-pae.js';
import { parseOmsStatement, type ParsedOmsStatement } from './oms.js';
import { MAX_SIGNATURE_BYTES } from './signature-file.js';

export interface KeylessModelPolicy {
  /** The certificate identity (SAN) that must have signed, exactly (model_signing `--identity`). */
  identity: string;
  /** The OIDC issuer, exactly (model_signing `--identity_provider`). */
  identityProvider: string;
  /** Default: the public-good root embedded in @sigstore/tuf. */
  trustRoot?: SigstoreTrustRoot;
}

export interface CertificateModelPolicy {
  /** PEM text of the CA certificate(s) the signing certificate must chain to. */
  certificateChainPems: { pem: string; source: string }[];
}

export interface ForeignSignatureCheck {
  parsed: ParsedOmsStatement;
  method: 'sigstore' | 'certificate';
  algorithm: KeyAlgorithm;
  keyFingerprint: Digest;
  legacyPae: boolean;
  identity?: string;
  issuer?: string;
  /** Certificate method: when the chain was checked (the leaf's notBefore). */
  chainCheckedAt?: string;
}

function statementFrom(payloadType: string, payload: Buffer): ParsedOmsStatement {
  if (payloadType !== INTOTO_PAYLOAD_TYPE) {
    throw new AttestryError('E_SIGNATURE_FORMAT', `payloadType is "${payloadType}", expected ${INTOTO_PAYLOAD_TYPE}`);
  }
  return parseOmsStatement(parseStatement(parseJsonText(payload.toString('utf8'), 'DSSE payload', 'E_SIGNATURE_FORMAT')));
}

function readBundle(signaturePath: string): ParsedSigstoreBundle {
  const parsed = readSigstoreBundleFile(signaturePath, MAX_SIGNATURE_BYTES);
  if (parsed.bundle.content.$case !== 'dsseEnvelope') {
    throw new AttestryError('E_SIGNATURE_FORMAT', `${signaturePath} holds a message signature, not the DSSE envelope a model signature is`);
  }
  return parsed;
}

function modelKeyAlgorithm(name: string): KeyAlgorithm {
  const known = KEY_ALGORITHMS.find((a) => a === name);
  if (known === undefined)
    throw new AttestryError('E_KEY_UNSUPPORTED', `the signing certificate has a ${name} key; model signatures use Ed25519 or ECDSA`);
  return known;
}

/** Keyless: the whole Sigstore verification, then the statement. */
export function verifyKeylessModelSignature(signaturePath: string, policy: KeylessModelPolicy): ForeignSignatureCheck {
  const parsed = readBundle(signaturePath);
  const r = verifySigstoreBundle(parsed, {
    policy: { kind: 'identity', identity: policy.identity, issuer: policy.identityProvider },
    ...(policy.trustRoot ? { trustRoot: policy.trustRoot } : {}),
  });
  if (r.payload === undefined || r.signer.kind !== 'certificate')
    throw new AttestryError('E_INTERNAL', 'verified model bundle without a DSSE payload or certificate');
  return {
    parsed: statementFrom(r.payload.payloadType, r.payload.bytes),
    method: 'sigstore',
    algorithm: modelKeyAlgorithm(r.signer.algorithm),
    keyFingerprint: r.signer.keyFingerprint,
    legacyPae: false,
    identity: r.signer.identity,
    issuer: r.signer.issuer,
  };
}

/** Certificate: chain to the given CA, then the envelope with the leaf's key (standard PAE, else model_signing's pre-1.0 one, else v0.2's SHA-256 one). */
export function verifyCertificateModelSignature(signaturePath: string, policy: CertificateModelPolicy): ForeignSignatureCheck {
  if (policy.certificateChainPems.length === 0)
    throw new AttestryError('E_USAGE', 'give at least one CA certificate (--certificate-chain)');
  const anchors = policy.certificateChainPems.flatMap((c) => certificatesFromPem(c.pem, c.source));
  const { bundle } = readLenientBundleFile(signaturePath, MAX_SIGNATURE_BYTES);
  const chain = verifyChainToAnchors(bundle, anchors);
  const key: KeyObject = chain.publicKey;
  if (bundle.content?.$case !== 'dsseEnvelope') throw new AttestryError('E_INTERNAL', 'unreachable: checked in readLenientBundleFile');
  const env = bundle.content.dsseEnvelope;
  const envelope: DsseEnvelope = {
    payloadType: env.payloadType,
    payload: env.payload.toString('base64'),
    signatures: env.signatures.map((s) =>
      s.keyid ? { keyid: s.keyid, sig: s.sig.toString('base64') } : { sig: s.sig.toString('base64') },
    ),
  };
  const verifier = createVerifier(key);
  let payload: Buffer;
  let usedLegacy = false;
  try {
    payload = verifyEnvelope(envelope, [verifier]).payload;
  } catch (e) {
    try {
      payload = verifyEnvelope(envelope, [verifier], 1, legacyPae).payload;
      usedLegacy = true;
    } catch {
      // v0.2 signed with ECDSA over SHA-256 whatever the curve (model_signing
      // v0.2.0 signature/key.py; its own verifier keeps this fallback for
      // certificates, sign_certificate.py `_verify_bundle`).
      if (key.asymmetricKeyType !== 'ec') throw e;
      const sha256Verifier = { ...verifier, verify: (data: Buffer, sig: Buffer) => nodeVerify('sha256', data, key, sig) };
      try {
        payload = verifyEnvelope(envelope, [sha256Verifier], 1, legacyPae).payload;
        usedLegacy = true;
      } catch {
        throw e;
      }
    }
  }
  return {
    parsed: statementFrom(env.payloadType, payload),
    method: 'certificate',
    algorithm: keyAlgorithmOf(key),
    keyFingerprint: keyFingerprint(key),
    legacyPae: usedLegacy,
    chainCheckedAt: chain.signingTime.toISOString(),
  };
}
