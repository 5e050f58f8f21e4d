/**
 * Key-based OMS signatures (model_signing `verify key`, attestry's own): find
 * the key, check the DSSE envelope, parse the statement. The bundle's key
 * hint and embedded key are not signed (Sigstore protobuf-specs
 * `PublicKeyIdentifier`): they may pick which registry key to try first, and
 * a mismatch is a warning, but only the signature check decides.
 */
import type { KeyObject } from 'node:crypto';
import { AttestryError } from '../core/errors.js';
import { systemClock, type Clock } from '../core/ids.js';
import { parseJsonText } from '../core/validation.js';
import type { KeyBundle } from '../crypto/bundle.js';
import { verifyEnvelope } from '../crypto/dsse.js';
import { parseStatement } from '../crypto/intoto.js';
import { keyFingerprint, keyHintMatches, loadPublicKey, omsKeyHint, publicKeyToPem } from '../crypto/keys.js';
import { createVerifier } from '../crypto/signer.js';
import { legacyPae } from './legacy-pae.js';
import { parseOmsStatement, type ParsedOmsStatement } from './oms.js';
import { assertPublisherTrusted, findPublisher, publisherCandidates, type Publisher, type RegistryFile } from './registry.js';
import { unverifiedStatement } from './signature-file.js';

export interface KeySignatureOptions {
  /** Verify with this key... */
  publicKey?: KeyObject;
  /** ...or with the publisher the signature names (by signer id, else by key). */
  registry?: RegistryFile;
  clock?: Clock;
}

export interface KeyChoice {
  key: KeyObject;
  publisher?: Publisher;
}

function unverifiedSignerId(bundle: KeyBundle): string | undefined {
  const id = unverifiedStatement(bundle).subject[0]?.annotations?.['signerId'];
  return typeof id === 'string' ? id : undefined;
}

/** The keys that may have made the signature, in the order they are tried. */
function candidateKeys(bundle: KeyBundle, options: KeySignatureOptions): KeyChoice[] {
  const material = bundle.verificationMaterial.publicKey;
  if (!material) {
    throw new AttestryError(
      'E_SIGNATURE_FORMAT',
      'this signature was made with a certificate or keyless (Sigstore) identity, not a key; verify it with an identity and identity provider, or with the CA certificate chain',
    );
  }
  if (options.publicKey) return [{ key: options.publicKey }];
  if (!options.registry) throw new AttestryError('E_USAGE', 'give a public key or a publisher registry to verify against');
  const signerId = unverifiedSignerId(bundle);
  if (signerId !== undefined) {
    // A signature that names its signer is checked against that publisher only.
    const publisher = findPublisher(options.registry, signerId);
    if (!publisher)
      throw new AttestryError(
        'E_UNTRUSTED_PUBLISHER',
        `no trusted publisher in the registry matches this signature (signer id "${signerId}")`,
      );
    assertPublisherTrusted(publisher, (options.clock ?? systemClock).now());
    return [{ key: loadPublicKey(publisher.publicKey, `publisher ${publisher.id}`), publisher }];
  }
  // No signer id (e.g. made by model_signing): the hint picks whom to try first, the key decides.
  const candidates = publisherCandidates(options.registry, material.hint).map((p) => ({
    key: loadPublicKey(p.publicKey, `publisher ${p.id}`),
    publisher: p,
  }));
  if (candidates.length === 0)
    throw new AttestryError('E_UNTRUSTED_PUBLISHER', 'no trusted publisher in the registry matches this signature (the registry is empty)');
  return candidates;
}

/** The envelope's payload if `key` signed it (standard PAE, else model_signing's pre-1.0 one). */
function tryVerify(bundle: KeyBundle, key: KeyObject): { payload: Buffer; legacyPae: boolean } | undefined {
  const verifier = createVerifier(key);
  for (const legacy of [false, true]) {
    try {
      return { payload: verifyEnvelope(bundle.dsseEnvelope, [verifier], 1, legacy ? legacyPae : undefined).payload, legacyPae: legacy };
    } catch (e) {
      if (!(e instanceof AttestryError) || e.code !== 'E_SIGNATURE_INVALID') throw e;
    }
  }
  return undefined;
}

/** An attacker-chosen hint, safe to print: control characters escaped, length capped. */
function showHint(hint: string): string {
  const shown = hint.length > 200 ? `${hint.slice(0, 200)}…` : hint;
  return shown.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** What the bundle's unauthenticated key material says that does not fit the key that verified. */
function keyMaterialWarnings(bundle: KeyBundle, key: KeyObject): string[] {
  const material = bundle.verificationMaterial.publicKey;
  const warnings: string[] = [];
  if (material?.hint && !keyHintMatches(material.hint, key)) {
    warnings.push(
      `the key hint "${showHint(material.hint)}" (verificationMaterial.publicKey.hint, not signed) is neither SHA-256 of the verifying key's SPKI PEM (${omsKeyHint(key)}) nor of its DER (${keyFingerprint(key).slice(7)}); the signature was checked with the key, which verified it`,
    );
  }
  if (material?.rawBytes) {
    let same = false;
    try {
      same =
        publicKeyToPem(loadPublicKey(Buffer.from(material.rawBytes, 'base64').toString('utf8'), 'embedded public key')) ===
        publicKeyToPem(key);
    } catch {
      same = false;
    }
    if (!same)
      warnings.push(
        'the public key embedded in the bundle (verificationMaterial.publicKey.rawBytes, not signed) is not the verifying key; the signature was checked with the key, which verified it',
      );
  }
  return warnings;
}

/** Verifies the bundle's signature and returns the parsed OMS statement. */
export function verifyModelSignature(
  bundle: KeyBundle,
  options: KeySignatureOptions,
): { parsed: ParsedOmsStatement; key: KeyChoice; legacyPae: boolean; warnings: string[] } {
  const candidates = candidateKeys(bundle, options);
  for (const choice of candidates) {
    const verified = tryVerify(bundle, choice.key);
    if (verified === undefined) continue;
    if (choice.publisher) assertPublisherTrusted(choice.publisher, (options.clock ?? systemClock).now());
    if (bundle.dsseEnvelope.payloadType !== 'application/vnd.in-toto+json') {
      throw new AttestryError(
        'E_SIGNATURE_FORMAT',
        `payloadType is "${bundle.dsseEnvelope.payloadType}", expected application/vnd.in-toto+json`,
      );
    }
    const statement = parseStatement(parseJsonText(verified.payload.toString('utf8'), 'DSSE payload', 'E_SIGNATURE_FORMAT'));
    return {
      parsed: parseOmsStatement(statement),
      key: choice,
      legacyPae: verified.legacyPae,
      warnings: keyMaterialWarnings(bundle, choice.key),
    };
  }
  const hint = bundle.verificationMaterial.publicKey?.hint;
  if (options.publicKey === undefined && unverifiedSignerId(bundle) === undefined) {
    // Registry, matched by key: none of its publishers made this signature.
    throw new AttestryError(
      'E_UNTRUSTED_PUBLISHER',
      `no publisher in the registry holds the key that made this signature (tried ${candidates.length}; the signature names no signer id)`,
      {
        details: { tried: candidates.length, ...(hint ? { hint: showHint(hint) } : {}) },
      },
    );
  }
  const tried = candidates.map((c) => (c.publisher ? `publisher "${c.publisher.id}" (${keyFingerprint(c.key)})` : keyFingerprint(c.key)));
  const named = hint
    ? ` The signature's key hint is "${showHint(hint)}"; the key given hashes to ${omsKeyHint(candidates[0]!.key)} (SPKI PEM) / ${keyFingerprint(candidates[0]!.key).slice(7)} (SPKI DER).`
    : '';
  throw new AttestryError(
    'E_SIGNATURE_INVALID',
    `the signature does not verify with ${candidates.length === 1 ? 'the key' : `any of the ${candidates.length} keys`} tried: ${tried.join(', ')}; ` +
      `it was made with another key or the envelope was changed.${candidates.length === 1 ? named : ''}`,
    { details: { check: 'signature', tried: tried.length, ...(hint ? { hint: showHint(hint) } : {}) } },
  );
}
