/**
 * How Sigstore verification failures are reported: one `AttestryError` with
 * code `E_SIGNATURE_INVALID` (exit 2) and `details.check` naming the check that
 * failed, whether the check is sigstore-js's or one attestry adds. Errors that
 * mean "this input is not a bundle / trusted root" stay load errors (exit 1).
 */
import { AttestryError } from '../core/errors.js';

/** The checks a bundle passes through, in the order they usually run. */
export const SIGSTORE_CHECKS = [
  'bundle',
  'verification-material',
  'certificate-chain',
  'certificate',
  'sct',
  'public-key',
  'timestamp',
  'tlog',
  'tlog-set',
  'tlog-inclusion-proof',
  'tlog-body',
  'signature',
  'artifact-digest',
  'subject-digest',
  'identity',
  'issuer',
] as const;
export type SigstoreCheck = (typeof SIGSTORE_CHECKS)[number];

export function checkFailed(check: SigstoreCheck, message: string, cause?: unknown): AttestryError {
  return new AttestryError('E_SIGNATURE_INVALID', `verification failed (${check}): ${message}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { check },
  });
}

// sigstore-js error codes (packages/verify/src/error.ts) → attestry check names.
const LIBRARY_CODES: Record<string, SigstoreCheck> = {
  CERTIFICATE_ERROR: 'certificate',
  PUBLIC_KEY_ERROR: 'public-key',
  SIGNATURE_ERROR: 'signature',
  TIMESTAMP_ERROR: 'timestamp',
  TLOG_ERROR: 'tlog',
  TLOG_MISSING_INCLUSION_ERROR: 'tlog',
  TLOG_INCLUSION_PROMISE_ERROR: 'tlog-set',
  TLOG_INCLUSION_PROOF_ERROR: 'tlog-inclusion-proof',
  TLOG_BODY_ERROR: 'tlog-body',
  UNTRUSTED_SIGNER_ERROR: 'identity',
};

function libraryCode(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const code = (e as Error & { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Turns whatever a verification step threw into a named failure. Anything that
 * is not a sigstore-js verification error (a TypeError on a strange bundle, an
 * ASN.1 parse error deep in a certificate) is still a failed verification of
 * hostile or broken input, never a crash: fail closed, say which step.
 */
export function asCheckFailure(e: unknown, step: SigstoreCheck): AttestryError {
  if (e instanceof AttestryError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const code = libraryCode(e);
  const mapped = code === undefined ? undefined : LIBRARY_CODES[code];
  if (mapped === 'certificate' && /\bSCT\b/.test(message)) return checkFailed('sct', message, e);
  if (mapped !== undefined) return checkFailed(mapped, message, e);
  return checkFailed(step, message, e);
}
