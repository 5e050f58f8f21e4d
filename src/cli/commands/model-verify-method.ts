/**
 * `model verify`'s choice of method, as model_signing offers them: a key
 * (default: $ATTESTRY_HOME/keys/public.pem), a publisher registry, a keyless
 * Sigstore identity (`--identity --identity-provider [--trusted-root]`), or a
 * certificate chain (`--certificate-chain CA.pem...`). Exactly one.
 * `--issuer` is accepted for `--identity-provider`, as verify-bundle and cosign spell it.
 */
import { existsSync } from 'node:fs';
import { AttestryError } from '../../core/errors.js';
import { readRegistry, type VerifyModelOptions } from '../../models/index.js';
import { defaultVerificationKey } from '../default-keys.js';
import { publicKeyFromFile, readText } from '../files.js';
import { resolveTrustRoot } from './trust.js';

export interface VerifyMethodFlags {
  key?: string;
  registry?: string;
  identity?: string;
  identityProvider?: string;
  issuer?: string;
  trustedRoot?: string;
  certificateChain?: string[];
}

/** The OIDC issuer from `--identity-provider` or its alias `--issuer` (both given: they must agree). */
export function issuerFlag(flags: { identityProvider?: string; issuer?: string }): string | undefined {
  if (flags.identityProvider !== undefined && flags.issuer !== undefined && flags.identityProvider !== flags.issuer) {
    throw new AttestryError(
      'E_USAGE',
      `--issuer and --identity-provider name the same thing but differ ("${flags.issuer}" vs "${flags.identityProvider}"); give one`,
    );
  }
  return flags.identityProvider ?? flags.issuer;
}

export function verifyMethodOptions(
  flags: VerifyMethodFlags,
): Pick<VerifyModelOptions, 'publicKey' | 'registry' | 'keyless' | 'certificateChain'> {
  const issuer = issuerFlag(flags);
  const keyless = flags.identity !== undefined || issuer !== undefined;
  const chosen = [flags.key !== undefined, flags.registry !== undefined, keyless, flags.certificateChain !== undefined].filter(
    Boolean,
  ).length;
  if (chosen > 1)
    throw new AttestryError('E_USAGE', 'give one of --key, --registry, --identity/--identity-provider or --certificate-chain');
  if (flags.trustedRoot !== undefined && !keyless)
    throw new AttestryError('E_USAGE', '--trusted-root goes with --identity/--identity-provider');
  if (keyless) {
    if (flags.identity === undefined || issuer === undefined) {
      throw new AttestryError('E_USAGE', 'a keyless signature is verified with both --identity and --identity-provider (or --issuer)');
    }
    return { keyless: { identity: flags.identity, identityProvider: issuer, trustRoot: resolveTrustRoot(flags.trustedRoot) } };
  }
  if (flags.certificateChain !== undefined) {
    return {
      certificateChain: {
        certificateChainPems: flags.certificateChain.map((path) => ({ pem: readText(path, 'CA certificate'), source: path })),
      },
    };
  }
  if (flags.registry !== undefined) {
    // A missing registry is a load error (exit 1), not "no publisher trusted" (a verification failure).
    if (!existsSync(flags.registry)) {
      throw new AttestryError(
        'E_NOT_FOUND',
        `publisher registry ${flags.registry} does not exist; create it with \`attestry publisher add --registry ${flags.registry} ...\``,
        { details: { path: flags.registry } },
      );
    }
    return { registry: readRegistry(flags.registry) };
  }
  return { publicKey: publicKeyFromFile(flags.key ?? defaultVerificationKey()) };
}
