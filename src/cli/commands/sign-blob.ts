/** `attestry sign-blob FILE`: a Sigstore bundle v0.3 with a message signature over any file. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { AttestryError, ioError } from '../../core/errors.js';
import { signBlobBundle } from '../../crypto/blob-bundle.js';
import { keyFingerprint } from '../../crypto/keys.js';
import { emit } from '../output.js';
import { run } from '../run.js';
import { KEY_OPTION_HELP, loadSigningKey } from '../signing-key.js';
import { addUploadOptions, type UploadFlags } from '../upload.js';

interface SignBlobFlags extends UploadFlags {
  key: string;
  bundle?: string;
  passphraseEnv?: string;
}

export function signBlobCommand(): Command {
  const cmd = new Command('sign-blob')
    .description('sign any file: writes a Sigstore bundle v0.3 (message signature + digest, key hint) that verify-bundle, cosign-style and @sigstore/verify verifiers check')
    .argument('<file>', 'the file to sign')
    .requiredOption('--key <pem|pkcs11-uri>', KEY_OPTION_HELP)
    .option('--bundle <out>', 'where to write the bundle (default <file>.sigstore.json)')
    .option('--passphrase-env <var>', 'environment variable holding the key passphrase (or the token PIN for a pkcs11: key)')
    .option('--json', 'machine-readable output');
  return addUploadOptions(cmd)
    .addHelpText(
      'after',
      `
--upload: the evidence locker stores DSSE envelopes (in-toto statements), not bare message
signatures, so sign-blob --upload is refused; record a file in the locker with
  attestry attest --subject FILE --type URI --predicate P.json --key K --bundle OUT --upload`,
    )
    .action((file: string, flags: SignBlobFlags) =>
      run(flags, async () => {
        if (flags.upload) {
          throw new AttestryError(
            'E_USAGE',
            'the evidence locker stores DSSE envelopes (in-toto statements), not message signatures: to record this file, sign a statement about it with `attestry attest --subject FILE --type URI --predicate P.json --key K --bundle OUT --upload`',
          );
        }
        let data: Buffer;
        try {
          data = readFileSync(file);
        } catch (e) {
          throw ioError(e, 'read', file);
        }
        const out = resolve(flags.bundle ?? `${file}.sigstore.json`);
        const key = await loadSigningKey(flags.key, flags.passphraseEnv);
        let bundle;
        try {
          bundle = signBlobBundle(data, key.signer);
        } finally {
          key.close();
        }
        writeFileAtomic(out, `${JSON.stringify(bundle, null, 2)}\n`);
        const digest = bundle.messageSignature.messageDigest;
        const result = {
          ok: true,
          bundle: out,
          artifact: resolve(file),
          size: data.length,
          messageDigest: { algorithm: digest.algorithm, hex: Buffer.from(digest.digest, 'base64').toString('hex') },
          algorithm: key.signer.algorithm,
          keySource: key.source,
          keyFingerprint: keyFingerprint(key.signer.publicKey),
          hint: bundle.verificationMaterial.publicKey.hint,
        };
        emit(flags, result, () =>
          [
            `Signed ${file} → ${out}`,
            `  Digest   : ${digest.algorithm} ${result.messageDigest.hex}`,
            `  Key      : ${result.algorithm} ${result.keyFingerprint}${key.source === 'pkcs11' ? ' (PKCS#11 token)' : ''}`,
            '  Log entry: none (key-only bundle: verify with --offline-key-only)',
          ].join('\n'),
        );
      }),
    );
}
