import type { KeyObject } from 'node:crypto';
import { AttestryError } from '../core/errors.js';
import { describePublicKey, type PublicKeyInfo } from '../crypto/keyring.js';
import type { TrustedKeysRepo } from '../store/db/keys-repo.js';
import { decodeBase64, verifyEnvelope, type DsseEnvelope, type DsseSignature } from '../crypto/dsse.js';
import { dsseEntryBody, signatureBy } from '../tlog/entry.js';
import { loadPublicKey } from '../crypto/keys.js';
import { createVerifier, type Verifier } from '../crypto/signer.js';

export interface CandidateKey {
  readonly keyId: string;
  readonly publicKeyPem: string;
  readonly hint: string;
}

/**
 * Verifiers are pure functions of (key id, PEM); caching them skips PEM
 * parsing and fingerprinting on every upload. Bounded so a flood of keys
 * cannot grow it without limit.
 */
const verifierCache = new Map<string, Verifier>();
const CACHE_LIMIT = 4096;

function verifierFor(key: CandidateKey): Verifier {
  const cacheKey = `${key.keyId}\n${key.publicKeyPem}`;
  let v = verifierCache.get(cacheKey);
  if (v === undefined) {
    if (verifierCache.size >= CACHE_LIMIT) verifierCache.clear();
    v = createVerifier(loadPublicKey(key.publicKeyPem, `trusted key ${key.keyId}`), key.keyId);
    verifierCache.set(cacheKey, v);
  }
  return v;
}

/**
 * Checks that at least one signature verifies with a key the tenant trusts
 * (or one of the service's own keys). A bundle's key hint narrows the
 * candidates first, so model_signing's empty keyids do not cost one verify
 * per trusted key. Returns the key id that verified.
 */
export function verifyWithTrustedKeys(envelope: DsseEnvelope, keyHint: string | undefined, candidates: readonly CandidateKey[]): string {
  if (candidates.length === 0) {
    throw new AttestryError('E_SIGNATURE_INVALID', `no verification keys are registered for this tenant; an admin registers one with: ${TRUST_HINT}`, { details: { hint: TRUST_HINT } });
  }
  const hinted = keyHint === undefined ? [] : candidates.filter((c) => c.hint === keyHint);
  const pool = hinted.length > 0 ? hinted : candidates;
  const verifiers = pool.map(verifierFor);
  const named = envelope.signatures.filter((s) => s.keyid !== undefined && s.keyid !== '');
  try {
    return firstVerifiedKeyId(envelope, verifiers);
  } catch (e) {
    // Without keyids the first pass already tried every key.
    if (named.length === 0) throw untrusted(e, []);
    // A DSSE keyid is an unauthenticated hint (protocol.md): a signature made
    // by a trusted key still counts when its keyid names the key differently.
  }
  try {
    return firstVerifiedKeyId({ ...envelope, signatures: envelope.signatures.map((s) => ({ sig: s.sig })) }, verifiers);
  } catch (e) {
    throw untrusted(e, named.map((s) => s.keyid as string));
  }
}

/** The command that fixes an untrusted signer (a 422 says what to do next). */
const TRUST_HINT = 'attestry key trust --tenant <tenant> --key-id <keyid> --public-key <signer.pub>';

function untrusted(e: unknown, keyids: readonly string[]): unknown {
  if (!(e instanceof AttestryError) || e.code !== 'E_SIGNATURE_INVALID') return e;
  const shown = keyids.slice(0, 8).map((k) => k.slice(0, 128));
  return new AttestryError(
    'E_SIGNATURE_INVALID',
    `no signature on the envelope verifies with a key trusted by this tenant${shown.length > 0 ? ` (signature keyid: ${shown.join(', ')})` : ''}; ` +
      `if the signer should be accepted, an admin registers its public key: ${TRUST_HINT}`,
    { details: { keyids: shown, hint: TRUST_HINT } },
  );
}

export interface VerifiedUpload {
  /** Id of the trusted key that verified. */
  readonly keyId: string;
  /** The transparency-log entry body for this envelope, when asked for. */
  readonly logEntry?: Buffer | undefined;
}

/**
 * The locker's check: verifies against trusted keys and, for logging, builds
 * the log entry from the signature that verified. Runs on a worker thread, so
 * the entry costs the event loop nothing.
 */
export function verifyUpload(envelope: DsseEnvelope, keyHint: string | undefined, candidates: readonly CandidateKey[], withLogEntry: boolean): VerifiedUpload {
  const keyId = verifyWithTrustedKeys(envelope, keyHint, candidates);
  if (!withLogEntry) return { keyId };
  const key = candidates.find((c) => c.keyId === keyId) as CandidateKey;
  const { publicKey } = verifierFor(key);
  // With one signature it is the one that just verified; otherwise find it.
  const signature = envelope.signatures.length === 1 ? decodeBase64((envelope.signatures[0] as DsseSignature).sig) : signatureBy(envelope, publicKey);
  return { keyId, logEntry: dsseEntryBody(envelope, signature, publicKey) };
}

function firstVerifiedKeyId(envelope: DsseEnvelope, verifiers: readonly Verifier[]): string {
  return verifyEnvelope(envelope, verifiers).verifiedKeyIds[0] ?? '';
}

/** Registers `publicKey` as trusted by `tenant` under `keyId` (what `attestry key trust` does). */
export async function trustPublicKey(
  keys: TrustedKeysRepo,
  tenant: string,
  keyId: string,
  publicKey: KeyObject,
  now: Date,
): Promise<PublicKeyInfo> {
  const info = describePublicKey(keyId, publicKey);
  await keys.add({ tenant, keyId, algorithm: info.algorithm, publicKeyPem: info.publicKeyPem, fingerprint: info.fingerprint, hint: info.hint, createdAt: now.toISOString() });
  return info;
}
