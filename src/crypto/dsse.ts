/**
 * DSSE v1 (https://github.com/secure-systems-lab/dsse, protocol.md and
 * envelope.md): pre-authentication encoding, envelopes with several
 * signatures, and threshold verification.
 */
import { z } from 'zod';
import { AttestryError } from '../core/errors.js';
import { parseWith } from '../core/validation.js';
import type { Signer, Verifier } from './signer.js';

export interface DsseSignature {
  keyid?: string;
  sig: string;
}

export interface DsseEnvelope {
  payloadType: string;
  payload: string;
  signatures: DsseSignature[];
}

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN in ASCII decimal bytes. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  const header = Buffer.from(`DSSEv1 ${type.length} ${payloadType} ${payload.length} `, 'utf8');
  return Buffer.concat([header, payload]);
}

export function signEnvelope(payloadType: string, payload: Uint8Array, signers: readonly Signer[]): DsseEnvelope {
  if (signers.length === 0) throw new AttestryError('E_USAGE', 'at least one signer is required');
  const message = pae(payloadType, payload);
  return {
    payloadType,
    payload: Buffer.from(payload).toString('base64'),
    signatures: signers.map((s) => ({ keyid: s.keyid, sig: s.sign(message).toString('base64') })),
  };
}

/** Whether `c` (a UTF-16 code unit) is in the standard or URL-safe base64 alphabet. */
function isBase64Char(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f || c === 0x2d || c === 0x5f
  );
}

/**
 * Standard or URL-safe base64, padded or not (DSSE envelope.md "Base64()"):
 * groups of four, then an optional final group of two (`==` optional) or three
 * (`=` optional) characters. A loop, not a regular expression: a grouped,
 * repeated regex keeps one backtrack entry per group and overflows V8's regex
 * stack on a payload of a few MiB (a signature of ~20,000 files).
 */
export function isBase64Text(value: string): boolean {
  let n = value.length;
  let pad = 0;
  while (pad < 2 && n > 0 && value.charCodeAt(n - 1) === 0x3d) {
    n--;
    pad++;
  }
  for (let i = 0; i < n; i++) if (!isBase64Char(value.charCodeAt(i))) return false;
  const tail = n % 4;
  if (tail === 1) return false;
  // Padding only completes a final group: "xx==" or "xxx=".
  return pad === 0 || (tail === 2 && pad === 2) || (tail === 3 && pad === 1);
}

const base64String = z.string().refine(isBase64Text, 'not base64');

const SignatureSchema = z
  .object({
    sig: base64String,
    keyid: z.string().nullish(),
    // Seed 002 writes `keyId`; the standard field is `keyid`. Accept both on input.
    keyId: z.string().nullish(),
  })
  .transform((s): DsseSignature => {
    const keyid = s.keyid ?? s.keyId ?? undefined;
    return keyid === undefined ? { sig: s.sig } : { keyid, sig: s.sig };
  });

export const DsseEnvelopeSchema = z.object({
  payloadType: z.string().min(1),
  payload: base64String,
  // Real envelopes carry a handful; the cap bounds verification work on hostile input.
  signatures: z.array(SignatureSchema).min(1, 'at least one signature is required').max(64, 'at most 64 signatures'),
});

export function parseEnvelope(input: unknown): DsseEnvelope {
  return parseWith(DsseEnvelopeSchema, input, 'DSSE envelope', 'E_SIGNATURE_FORMAT');
}

export function decodeBase64(value: string): Buffer {
  return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

export interface EnvelopeVerification {
  payloadType: string;
  payload: Buffer;
  /** Key ids of the distinct keys whose signatures verified. */
  verifiedKeyIds: string[];
}

/** A signature of an envelope and the key that verified it. */
export interface SignatureMatch {
  readonly verifier: Verifier;
  readonly signature: Buffer;
}

/**
 * Each signature of the envelope that verifies, with the first key that
 * verifies it over `signed`; a key that already matched is not tried again.
 * With `byKeyid`, a signature that names a keyid is only tried with keys of
 * that id (DSSE keyids are unauthenticated hints that save verifications).
 */
function* signatureMatches(
  envelope: DsseEnvelope,
  verifiers: readonly Verifier[],
  signed: Buffer,
  byKeyid: boolean,
): Generator<SignatureMatch, void, undefined> {
  // Count keys, not verifier entries: the same key listed under two ids is still one key.
  const matched = new Set<string>();
  for (const s of envelope.signatures) {
    const signature = decodeBase64(s.sig);
    for (const v of verifiers) {
      if (matched.has(v.fingerprint)) continue;
      if (byKeyid && s.keyid && v.keyid && s.keyid !== v.keyid) continue;
      if (v.verify(signed, signature)) {
        matched.add(v.fingerprint);
        yield { verifier: v, signature };
        break;
      }
    }
  }
}

const NO_SIGNATURE_VERIFIES = 'no signature on the envelope verifies with the given key(s)';

/**
 * The first signature that verifies with one of `verifiers`, and that key;
 * E_SIGNATURE_INVALID when none does. `byKeyid` as in verifyEnvelope (true);
 * false tries every key against every signature.
 */
export function firstVerifiedSignature(envelope: DsseEnvelope, verifiers: readonly Verifier[], byKeyid = true): SignatureMatch {
  const signed = pae(envelope.payloadType, decodeBase64(envelope.payload));
  for (const match of signatureMatches(envelope, verifiers, signed, byKeyid)) return match;
  throw new AttestryError('E_SIGNATURE_INVALID', NO_SIGNATURE_VERIFIES);
}

/**
 * Verifies an envelope against a set of trusted keys. Each trusted key counts
 * at most once, however many signatures name it, so one key cannot meet a
 * threshold alone. A signature whose keyid is empty is tried against every
 * key; one with a keyid only against keys of that id.
 */
export function verifyEnvelope(
  envelope: DsseEnvelope,
  verifiers: readonly Verifier[],
  threshold = 1,
  message?: (payload: Buffer) => Buffer,
): EnvelopeVerification {
  if (!Number.isInteger(threshold) || threshold < 1) {
    throw new AttestryError('E_USAGE', `threshold must be a positive integer, got ${threshold}`);
  }
  const payload = decodeBase64(envelope.payload);
  const signed = message ? message(payload) : pae(envelope.payloadType, payload);
  const verifiedKeyIds = [...signatureMatches(envelope, verifiers, signed, true)].map((m) => m.verifier.keyid);
  if (verifiedKeyIds.length < threshold) {
    const have = verifiedKeyIds.length;
    throw new AttestryError(
      'E_SIGNATURE_INVALID',
      threshold === 1 ? NO_SIGNATURE_VERIFIES : `only ${have} of the required ${threshold} distinct keys signed the envelope`,
      { details: { verified: have, threshold } },
    );
  }
  return { payloadType: envelope.payloadType, payload, verifiedKeyIds };
}
