import { KeyObject } from 'node:crypto';
import { AttestryError } from '../core/errors.js';
import { describePublicKey, type PublicKeyInfo } from '../crypto/keyring.js';
import type { TrustedKeysRepo } from '../store/db/keys-repo.js';
import { firstVerifiedSignature, type DsseEnvelope, type SignatureMatch } from '../crypto/dsse.js';
import { verifyDigestSignature } from '../crypto/prehashed.js';
import { contentHandler, type MessageSignatureContent, type SignedContent } from './formats/index.js';
import type { TimestampAuthority } from '../tlog/tsa.js';
import { loadPublicKeyHandle, type PublicKeyHandle } from '../crypto/keys.js';
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
    v = createVerifier(loadPublicKeyHandle(key.publicKeyPem, `trusted key ${key.keyId}`), key.keyId);
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
  return matchTrustedKey(envelope, keyHint, candidates).verifier.keyid;
}

/**
 * As verifyWithTrustedKeys, returning the key itself: a key id alone can be
 * ambiguous (a tenant key listed under a service key's id), and the log must
 * record the key that verified, not another one with the same name.
 */
function matchTrustedKey(envelope: DsseEnvelope, keyHint: string | undefined, candidates: readonly CandidateKey[]): SignatureMatch {
  const { verifiers } = candidateVerifiers(keyHint, candidates);
  const named = envelope.signatures.filter((s) => s.keyid !== undefined && s.keyid !== '');
  try {
    return firstVerifiedSignature(envelope, verifiers, true);
  } catch (e) {
    // Without keyids the first pass already tried every key.
    if (named.length === 0) throw untrusted(e, []);
    // A DSSE keyid is an unauthenticated hint (protocol.md): a signature made
    // by a trusted key still counts when its keyid names the key differently.
  }
  try {
    return firstVerifiedSignature(envelope, verifiers, false);
  } catch (e) {
    throw untrusted(
      e,
      named.map((s) => s.keyid as string),
    );
  }
}

/**
 * The keys to try, for DSSE and message signatures alike: those the hint
 * names when any does (so an empty keyid does not cost one verify per
 * trusted key), else all. No candidates at all is its own error, with the
 * command that registers one.
 */
function candidateVerifiers(keyHint: string | undefined, candidates: readonly CandidateKey[]): { verifiers: Verifier[]; hinted: boolean } {
  if (candidates.length === 0) {
    throw new AttestryError(
      'E_SIGNATURE_INVALID',
      `no verification keys are registered for this tenant; an admin registers one with: ${TRUST_HINT}`,
      { details: { hint: TRUST_HINT } },
    );
  }
  const hinted = keyHint === undefined ? [] : candidates.filter((c) => c.hint === keyHint);
  return { verifiers: (hinted.length > 0 ? hinted : candidates).map(verifierFor), hinted: hinted.length > 0 };
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
  /** RFC 3161 TimeStampResp over the signature that verified, when logging with a TSA. */
  readonly timestamp?: Buffer | undefined;
}

/**
 * The locker's check: verifies against trusted keys and, for logging, builds
 * the log entry from the signature that verified (with the key that
 * verified it), and timestamps that signature with `tsa`. Runs on a worker
 * thread, so neither costs the event loop anything.
 */
export function verifyUpload(
  content: SignedContent,
  keyHint: string | undefined,
  candidates: readonly CandidateKey[],
  withLogEntry: boolean,
  tsa?: TimestampAuthority,
): VerifiedUpload {
  if (content.type === 'message') return verifyMessageUpload(content, keyHint, candidates, withLogEntry, tsa);
  const { envelope } = content;
  const { verifier, signature } = matchTrustedKey(envelope, keyHint, candidates);
  if (!withLogEntry) return { keyId: verifier.keyid };
  return {
    keyId: verifier.keyid,
    logEntry: contentHandler(content).logEntryBody(content, signature, verifier.publicKey),
    ...(tsa === undefined ? {} : { timestamp: tsa.timestampSignature(signature) }),
  };
}

const ED25519_REFUSAL =
  'Ed25519 message signatures cannot be verified from the digest alone (Ed25519 signs the file itself, and the service never sees the file): sign the file with an ECDSA P-256 or P-384 key, or record it as an in-toto statement with `attestry attest --subject FILE ... --upload`';

/**
 * A message signature checked against the digest (ECDSA P-256/P-384 only;
 * see crypto/prehashed.ts), logged as a hashedrekord entry. A hint naming a
 * trusted Ed25519 key, or a signature that is not DER (Ed25519 signatures
 * are 64 raw bytes), is refused as unsupported rather than as untrusted, so
 * the signer learns what to change.
 */
function verifyMessageUpload(
  content: MessageSignatureContent,
  keyHint: string | undefined,
  candidates: readonly CandidateKey[],
  withLogEntry: boolean,
  tsa?: TimestampAuthority,
): VerifiedUpload {
  const { verifiers: pool, hinted } = candidateVerifiers(keyHint, candidates);
  const digest = Buffer.from(content.digest, 'base64');
  const signature = Buffer.from(content.signature, 'base64');
  if (hinted && pool.every((v) => v.algorithm === 'ed25519')) throw new AttestryError('E_KEY_UNSUPPORTED', ED25519_REFUSAL);
  // Prehashed message signatures are ECDSA only (crypto/prehashed.ts); GOST keys never match them.
  const verifier = pool.find(
    (v) => v.publicKey instanceof KeyObject && verifyDigestSignature(v.publicKey, content.algorithm, digest, signature),
  );
  if (verifier === undefined) {
    if (signature.length === 64 && signature[0] !== 0x30) throw new AttestryError('E_KEY_UNSUPPORTED', ED25519_REFUSAL);
    throw new AttestryError(
      'E_SIGNATURE_INVALID',
      `the message signature does not verify over its ${content.algorithm} digest with any ECDSA key trusted by this tenant; if the signer should be accepted, an admin registers its public key: ${TRUST_HINT}`,
      { details: { hint: TRUST_HINT } },
    );
  }
  if (!withLogEntry) return { keyId: verifier.keyid };
  return {
    keyId: verifier.keyid,
    logEntry: contentHandler(content).logEntryBody(content, signature, verifier.publicKey),
    ...(tsa === undefined ? {} : { timestamp: tsa.timestampSignature(signature) }),
  };
}

/**
 * Registers `publicKey` as trusted by `tenant` under `keyId` (what `attestry
 * key trust` does). An id the service's own keys use is refused: every
 * tenant trusts those, and two keys under one id make key ids ambiguous.
 */
export async function trustPublicKey(
  keys: TrustedKeysRepo,
  tenant: string,
  keyId: string,
  publicKey: PublicKeyHandle,
  now: Date,
  options: { readonly serviceKeyIds?: readonly string[] } = {},
): Promise<PublicKeyInfo> {
  if (options.serviceKeyIds?.includes(keyId)) {
    throw new AttestryError(
      'E_CONFLICT',
      `key id "${keyId}" is the id of one of the service's own signing keys (trusted by every tenant); choose another --key-id`,
    );
  }
  const info = describePublicKey(keyId, publicKey);
  await keys.add({
    tenant,
    keyId,
    algorithm: info.algorithm,
    publicKeyPem: info.publicKeyPem,
    fingerprint: info.fingerprint,
    hint: info.hint,
    createdAt: now.toISOString(),
  });
  return info;
}
