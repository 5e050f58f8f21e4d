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
import { addSigningKeyOptions, loadSigningKey } from '../signing-key.js';
import { addUploadOptions, uploadBundle, type UploadFlags, uploadSummary } from '../upload.js';

/** Said before anything is signed or sent: the service checks message signatures from the digest alone. */
const UPLOAD_KEY_REFUSAL = (algorithm: string): string =>
  `sign-blob --upload needs an ECDSA P-256 or P-384 key, not ${algorithm}: the service verifies the signature from the file's digest alone, and ${algorithm === 'ed25519' ? 'Ed25519 signs the file itself' : 'this key signs a digest the service does not check'}; use an ECDSA key, or record the file with \`attestry attest --subject FILE --type URI --predicate P.json --key K --bundle OUT --upload\``;

interface SignBlobFlags extends UploadFlags {
  key: string;
  bundle?: string;
  passphraseEnv?: string;
}

export function signBlobCommand(): Command {
  const cmd = new Command('sign-blob')
    .description(
      'sign any file: writes a Sigstore bundle v0.3 (message signature + digest, key hint) that verify-bundle, cosign-style and @sigstore/verify verifiers check; --upload stores and logs it',
    )
    .argument('<file>', 'the file to sign')
    .option('--bundle <out>', 'where to write the bundle (default <file>.sigstore.json)')
    .option('--json', 'machine-readable output');
  return addUploadOptions(addSigningKeyOptions(cmd))
    .addHelpText(
      'after',
      `
With --upload the service verifies the signature over the file's digest against the tenant's trusted
keys (attestry key trust), logs it (Rekor v2 hashedrekord entry, RFC 3161 timestamp), and OUT receives
the service's bundle: log entry, inclusion proof, checkpoint and timestamp. The file itself is not sent.
--upload needs an ECDSA P-256 or P-384 key: an Ed25519 signature covers the file itself and cannot be
checked from its digest (record such a file with attestry attest --subject FILE … --upload).`,
    )
    .action((file: string, flags: SignBlobFlags) =>
      run(flags, async () => {
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
          if (flags.upload && key.signer.algorithm !== 'ecdsa-p256' && key.signer.algorithm !== 'ecdsa-p384') {
            throw new AttestryError('E_KEY_UNSUPPORTED', UPLOAD_KEY_REFUSAL(key.signer.algorithm));
          }
          bundle = signBlobBundle(data, key.signer);
        } finally {
          key.close();
        }
        const uploaded = flags.upload ? await uploadBundle(flags, bundle) : undefined;
        writeFileAtomic(out, `${JSON.stringify(uploaded?.bundle ?? bundle, null, 2)}\n`);
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
          ...(uploaded !== undefined ? { upload: uploadSummary(uploaded) } : {}),
        };
        emit(flags, result, () =>
          [
            `Signed ${file} → ${out}`,
            `  Digest   : ${digest.algorithm} ${result.messageDigest.hex}`,
            `  Key      : ${result.algorithm} ${result.keyFingerprint}${key.source === 'pkcs11' ? ' (PKCS#11 token)' : ''}`,
            uploaded === undefined
              ? '  Log entry: none (key-only bundle: verify with --offline-key-only, or use --upload)'
              : uploaded.logIndex === null
                ? `  Stored   : ${uploaded.id} in tenant ${uploaded.tenant}, not logged (${uploaded.skipReason ?? 'logging is off'}); wrote the local bundle`
                : `  Stored   : ${uploaded.id} in tenant ${uploaded.tenant}, log index ${uploaded.logIndex}; wrote the service's bundle`,
          ].join('\n'),
        );
      }),
    );
}
