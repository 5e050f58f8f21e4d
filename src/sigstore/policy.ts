/**
 * Who must have signed: a public key, or a keyless (Fulcio certificate)
 * identity with its OIDC issuer. attestry matches identities itself instead of
 * handing them to sigstore-js's policy check, because that one treats every
 * identity string as an unanchored regular expression
 * (`verify/src/policy.ts`: `signerIdentity.match(policyIdentity)`), so an
 * "exact" `https://github.com/org/repo/...` would also accept
 * `https://github.com/org/repo/...evil` and dots would match anything.
 */
import type { KeyObject } from 'node:crypto';
import { AttestryError } from '../core/errors.js';
import { checkFailed } from './failures.js';

export type SignerPolicy =
  | { kind: 'key'; publicKey: KeyObject }
  /** The certificate's SAN (email, URI) must equal `identity`; its issuer extension must equal `issuer`. */
  | { kind: 'identity'; identity: string; issuer: string }
  /**
   * The SAN must match `identityRegexp`, searched like cosign's
   * `--certificate-identity-regexp` (anchor it with ^…$ for a whole match).
   */
  | { kind: 'identity-regexp'; identityRegexp: RegExp; issuer: string };

/** What a verified Fulcio certificate says about its subject. */
export interface CertificateIdentity {
  subjectAlternativeName: string | undefined;
  issuer: string | undefined;
}

/** Builds an identity-regexp policy, turning a bad pattern into a usage error. */
export function identityRegexpPolicy(pattern: string, issuer: string): SignerPolicy {
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'u');
  } catch (e) {
    throw new AttestryError('E_USAGE', `--identity-regexp is not a valid regular expression: ${(e as Error).message}`, { cause: e });
  }
  return { kind: 'identity-regexp', identityRegexp: re, issuer };
}

/** Throws a named failure unless the certificate's identity satisfies the policy. */
export function checkIdentity(policy: Exclude<SignerPolicy, { kind: 'key' }>, got: CertificateIdentity): void {
  const san = got.subjectAlternativeName;
  if (san === undefined) throw checkFailed('identity', 'the signing certificate carries no subject alternative name');
  if (policy.kind === 'identity' && san !== policy.identity) {
    throw checkFailed('identity', `certificate identity is "${san}", expected "${policy.identity}"`);
  }
  if (policy.kind === 'identity-regexp') {
    // A fresh RegExp per check: a /g or /y pattern keeps lastIndex between calls.
    const re = new RegExp(policy.identityRegexp.source, policy.identityRegexp.flags.replace(/[gy]/g, ''));
    if (!re.test(san)) throw checkFailed('identity', `certificate identity "${san}" does not match /${policy.identityRegexp.source}/`);
  }
  if (got.issuer !== policy.issuer) {
    throw checkFailed(
      'issuer',
      `certificate OIDC issuer is ${got.issuer === undefined ? 'missing' : `"${got.issuer}"`}, expected "${policy.issuer}"`,
    );
  }
}
