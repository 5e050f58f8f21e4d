/** Examples and exit codes for `attestry model …` (kept apart so model.ts stays about behaviour). */
import { EXIT_USAGE, type ExitRow } from '../help.js';

export interface HelpText {
  examples: readonly string[];
  exits: readonly ExitRow[];
}

export const MODEL_HELP = {
  keygen: {
    examples: [
      'attestry model keygen --output keys',
      'SIGNING_PASS=... attestry model keygen --output keys --algorithm ecdsa-p256 --passphrase-env SIGNING_PASS --json',
    ],
    exits: [
      [0, 'key pair written'],
      [1, 'usage error, a key pair already there (use --force), passphrase variable unset, or the directory cannot be written'],
    ],
  },
  sign: {
    examples: [
      'attestry model sign ./my-model --key keys/private.pem --signer-id ci@example.com',
      'attestry model sign --model-dir ./my-model --signature my-model.sig --signer-id ci@example.com --model-name m --model-version 1.0',
      'attestry model sign ./llama-70b --key keys/private.pem --signer-id ci@example.com --shards',
      'attestry model sign ./llama-70b --key keys/private.pem --signer-id ci@example.com --reuse-digests old.sig',
      'sha256sum layer/* | attestry model sign --from-digests /dev/stdin --signature oci-model.sig --signer-id ci@example.com',
    ],
    exits: [
      [0, 'signature written'],
      [1, 'usage error, or a model, key or digest list that cannot be loaded (missing file, bad key, wrong passphrase, symlink, empty model)'],
      [2, '--reuse-digests OLD.sig does not verify with the signing key (its digests are not reused)'],
    ],
  },
  verify: {
    examples: [
      'attestry model verify ./my-model --key keys/public.pem',
      'attestry model verify --model-dir ./my-model --signature my-model.sig --registry trust.json --json',
      'attestry model verify ./model --identity user@example.com --issuer https://accounts.google.com',
      'attestry model verify ./model --certificate-chain ca-cert.pem',
    ],
    exits: [
      [0, 'the signature is valid and every file matches it'],
      [1, 'usage error, or a signature, key, registry or trusted root that cannot be loaded (missing file, bad format)'],
      [2, 'verification ran and failed: bad signature, wrong key or identity, untrusted publisher, or modified/missing/unsigned files'],
    ],
  },
  inspect: {
    examples: ['attestry model inspect --signature ./my-model/model.sig', 'attestry model inspect --signature ./my-model/model.sig --json'],
    exits: [
      [0, 'the signature file was read (nothing was verified)'],
      [1, 'usage error, or the signature file is missing or not an OMS bundle'],
    ],
  },
  digest: {
    examples: ['attestry model digest ./my-model', 'attestry model digest --model-dir ./my-model --shards --json'],
    exits: [[0, 'root digest printed'], EXIT_USAGE],
  },
} as const satisfies Record<string, HelpText>;
