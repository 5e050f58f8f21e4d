/**
 * `model verify`'s choice of method, as model_signing offers them: a key
 * (default: $ATTESTRY_HOME/keys/public.pem), a publisher registry, a keyless
 * Sigstore identity (`--identity --identity-provider [--trusted-root]`), or a
 * certificate chain (`--certificate-chain CA.pem...`). Exactly one.
 */
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
  trustedRoot?: string;
  certificateChain?: string[];
}

export function verifyMethodOptions(flags: VerifyMethodFlags): Pick<VerifyModelOptions, 'publicKey' | 'registry' | 'keyless' | 'certificateChain'> {
  const keyless = flags.identity !== undefined || flags.identityProvider !== undefined;
  const chosen = [flags.key !== undefined, flags.registry !== undefined, keyless, flags.certificateChain !== undefined].filter(Boolean).length;
  if (chosen > 1) throw new AttestryError('E_USAGE', 'give one of --key, --registry, --identity/--identity-provider or --certificate-chain');
  if (flags.trustedRoot !== undefined && !keyless) throw new AttestryError('E_USAGE', '--trusted-root goes with --identity/--identity-provider');
  if (keyless) {
    if (flags.identity === undefined || flags.identityProvider === undefined) {
      throw new AttestryError('E_USAGE', 'a keyless signature is verified with both --identity and --identity-provider');
    }
    return { keyless: { identity: flags.identity, identityProvider: flags.identityProvider, trustRoot: resolveTrustRoot(flags.trustedRoot) } };
  }
  if (flags.certificateChain !== undefined) {
    return { certificateChain: { certificateChainPems: flags.certificateChain.map((path) => ({ pem: readText(path, 'CA certificate'), source: path })) } };
  }
  if (flags.registry !== undefined) return { registry: readRegistry(flags.registry) };
  return { publicKey: publicKeyFromFile(flags.key ?? defaultVerificationKey()) };
}
