/**
 * The one way commands turn `--key` into a signer: a PEM file (PKCS#8,
 * optionally passphrase-protected) or a PKCS#11 URI (RFC 7512) naming a key
 * on a token. The passphrase environment variable gives the PEM passphrase,
 * or the token PIN when the URI carries none.
 */
import type { Command } from 'commander';
import { createSigner, type Signer } from '../crypto/signer.js';
import { isPkcs11Uri } from '../crypto/pkcs11-uri.js';
import { openPkcs11Signer } from '../crypto/pkcs11-signer.js';
import { passphraseFromEnv, privateKeyWithPassphrase } from './secrets.js';

export interface CliSigner {
  readonly signer: Signer;
  /** "file" or "pkcs11", for output. */
  readonly source: 'file' | 'pkcs11';
  /** Releases a token session; a no-op for file keys. Call it in `finally`. */
  close(): void;
}

const KEY_OPTION_HELP = 'private key: a PEM file, or a PKCS#11 URI (pkcs11:token=…;object=…?module-path=…&pin-source=file:…)';

/** `--key` and `--passphrase-env`, as the commands that sign with a key file or token spell them. */
export function addSigningKeyOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--key <pem|pkcs11-uri>', KEY_OPTION_HELP)
    .option(
      '--passphrase-env <var>',
      'environment variable holding the key passphrase (or the token PIN for a pkcs11: key); default ATTESTRY_PASSWORD, else a prompt on the terminal',
    );
}

/** PEM passphrases come as `privateKeyWithPassphrase` finds them (named variable, ATTESTRY_PASSWORD, a TTY prompt). */
export async function loadSigningKey(key: string, passphraseEnv: string | undefined, keyid = ''): Promise<CliSigner> {
  if (isPkcs11Uri(key)) {
    const secret = passphraseFromEnv(passphraseEnv);
    const signer = openPkcs11Signer(key, { ...(secret !== undefined ? { pin: secret } : {}), keyid });
    // Commands that forget close() still end the token session cleanly.
    const close = (): void => {
      process.removeListener('exit', close);
      signer.close();
    };
    process.once('exit', close);
    return { signer, source: 'pkcs11', close };
  }
  return { signer: createSigner(await privateKeyWithPassphrase(key, passphraseEnv), keyid), source: 'file', close: () => undefined };
}
