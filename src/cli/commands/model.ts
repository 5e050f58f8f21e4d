/** `attestry model keygen|sign|verify|inspect|digest`. */
import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AttestryError } from '../../core/errors.js';
import { ensureDir, writeFileAtomic } from '../../core/atomic-file.js';
import { generateKeyPair, keyFingerprint, parseKeyAlgorithm, privateKeyToPem, publicKeyToPem } from '../../crypto/keys.js';
import {
  defaultSignaturePath,
  ignoreEntryFromCli,
  inspectSignature,
  modelDigest,
  signDigestList,
  signModel,
  verifyModel,
  type HashingOptions,
} from '../../models/index.js';
import { emit, emitVerdict, formatBytes, formatRate, safeText } from '../output.js';
import { inspectHuman, verifyHuman } from '../model-human.js';
import { filesFailure, modelPathFrom, requireModelPath, signatureOutputFrom } from '../model-args.js';
import { progressBar } from '../progress.js';
import { defaultPassphrase, passphraseFromEnv } from '../secrets.js';
import { parseIntOption } from '../files.js';
import { loadSigningKey } from '../signing-key.js';
import { run } from '../run.js';
import { ensureDefaultSigningKey } from '../default-keys.js';
import { verifyMethodOptions, type VerifyMethodFlags } from './model-verify-method.js';

interface HashingFlags {
  ignorePaths?: string[];
  ignoreGitPaths: boolean;
  allowSymlinks?: boolean;
  shards?: boolean;
  shardSize?: number;
  hashType?: 'sha256' | 'blake2b' | 'blake3';
  shardAlgorithm?: 'model-signing' | 'spec';
  threads?: number;
  json?: boolean;
}

function addHashingOptions(cmd: Command): Command {
  return cmd
    .option(
      '--ignore-paths <paths...>',
      'paths to leave out, relative to the model directory (or to the working directory when they point inside the model)',
    )
    .option('--no-ignore-git-paths', 'include .git, .gitattributes, .github and .gitignore (left out by default, as model_signing does)')
    .option('--threads <n>', 'hashing threads (default: one per core)', parseIntOption('--threads'));
}

function addSerializationOptions(cmd: Command): Command {
  return cmd
    .option('--allow-symlinks', 'follow symbolic links that stay inside the model directory (refused by default)')
    .option('--shards', 'hash files in shards so one large file uses every core (OMS "shards" method)')
    .option('--shard-size <bytes>', 'shard size in bytes (default 1000000000)', parseIntOption('--shard-size'))
    .addOption(new Option('--hash-type <type>', 'file hash').choices(['sha256', 'blake2b', 'blake3']).default('sha256'))
    .addOption(
      new Option(
        '--shard-algorithm <spelling>',
        'shard resource algorithm: "model-signing" (sha256-sharded-N, what that tool verifies) or "spec" (sha256, what the OMS schema allows)',
      )
        .choices(['model-signing', 'spec'])
        .default('model-signing'),
    );
}

function hashingOptions(modelDir: string, flags: HashingFlags, json: boolean): HashingOptions & { finish: () => void } {
  const bar = progressBar('hashing', !json);
  const o: HashingOptions & { finish: () => void } = {
    ignorePaths: (flags.ignorePaths ?? []).map((p) => ignoreEntryFromCli(p, modelDir)),
    ignoreGitPaths: flags.ignoreGitPaths,
    allowSymlinks: flags.allowSymlinks ?? false,
    method: flags.shards ? 'shards' : 'files',
    hashType: flags.hashType ?? 'sha256',
    shardAlgorithm: flags.shardAlgorithm ?? 'model-signing',
    onProgress: bar.update,
    finish: bar.finish,
  };
  if (flags.shardSize !== undefined) o.shardSize = flags.shardSize;
  if (flags.threads !== undefined && flags.threads < 1) {
    throw new AttestryError('E_USAGE', `--threads must be 1 or more, got ${flags.threads}; leave it out to use one thread per core`);
  }
  if (flags.threads !== undefined) o.threads = flags.threads;
  return o;
}

export function modelCommand(): Command {
  const model = new Command('model').description('sign and verify ML model directories (OpenSSF model signing format)');

  model
    .command('keygen')
    .description('create a key pair: private.pem (PKCS#8, mode 0600) and public.pem (SPKI)')
    .option('--output <dir>', 'directory for the key files', 'keys')
    .option(
      '--algorithm <alg>',
      'ed25519 | ecdsa-p256 | ecdsa-p384 | ecdsa-p521 | sm2 | gost3410 (GOST R 34.10-2012, DSSE only; no passphrase)',
      'ed25519',
    )
    .option(
      '--passphrase-env <var>',
      'encrypt the private key with the passphrase in this environment variable (scrypt + AES-256); default: ATTESTRY_PASSWORD when set',
    )
    .option('--force', 'overwrite existing key files')
    .option('--json', 'machine-readable output')
    .action((flags: { output: string; algorithm: string; passphraseEnv?: string; force?: boolean; json?: boolean }) =>
      run(flags, () => {
        const algorithm = parseKeyAlgorithm(flags.algorithm);
        const passphrase = passphraseFromEnv(flags.passphraseEnv) ?? defaultPassphrase();
        const dir = resolve(flags.output);
        const privatePath = join(dir, 'private.pem');
        const publicPath = join(dir, 'public.pem');
        if (!flags.force && (existsSync(privatePath) || existsSync(publicPath))) {
          throw new AttestryError('E_CONFLICT', `${dir} already holds a key pair; use --force to replace it`);
        }
        ensureDir(dir, 0o700);
        const pair = generateKeyPair(algorithm);
        writeFileAtomic(privatePath, privateKeyToPem(pair.privateKey, passphrase), 0o600);
        writeFileAtomic(publicPath, publicKeyToPem(pair.publicKey), 0o644);
        const out = {
          ok: true,
          algorithm,
          privateKey: privatePath,
          publicKey: publicPath,
          fingerprint: keyFingerprint(pair.publicKey),
          encrypted: passphrase !== undefined,
        };
        emit(flags, out, () =>
          [
            `Key pair (${algorithm}) written to ${dir}`,
            `  Private: ${privatePath}${out.encrypted ? ' (passphrase-protected)' : ''}`,
            `  Public : ${publicPath}`,
            `  Fingerprint: ${out.fingerprint}`,
          ].join('\n'),
        );
      }),
    );

  const sign = model
    .command('sign')
    .description('hash every file of a model directory and write a signed OMS bundle (default <model-dir>/model.sig)')
    .argument('[model]', 'the model directory (or a single model file); or --model-dir')
    .option('--model-dir <dir>', 'the model directory (or a single model file)')
    .option(
      '--key <pem|pkcs11-uri>',
      'private key PEM or PKCS#11 URI (pkcs11:token=…;object=…?module-path=…&pin-source=file:…) (default: $ATTESTRY_HOME/keys/private.pem, created on first use)',
    )
    .requiredOption('--signer-id <id>', 'signer identity (e.g. email or org id); checked against the publisher registry on verify')
    .option('--model-name <name>', 'model name (recorded as metadata)')
    .option('--model-version <version>', 'model version (recorded as metadata)')
    .option('--framework <name>', 'framework, e.g. pytorch (recorded as metadata)')
    .option('--author <name>', 'author or team (recorded as metadata)')
    .option('--description <text>', 'description (recorded as metadata)')
    .option('--signature <file>', 'where to write the signature (default <model-dir>/model.sig)')
    .option('--output <file>', 'alias of --signature')
    .option(
      '--passphrase-env <var>',
      'environment variable holding the private key passphrase (default: ATTESTRY_PASSWORD, else a prompt on the terminal)',
    )
    .option('--force', 'overwrite an existing signature file')
    .option('--reuse-digests <old.sig>', 're-hash only files whose size or mtime changed since OLD.sig (must be signed by the same key)')
    .option('--from-digests <file>', 'sign a path→digest list (sha256sum output or JSON) instead of reading files')
    .option('--json', 'machine-readable output');
  addSerializationOptions(addHashingOptions(sign)).action(
    (
      modelArg: string | undefined,
      flags: HashingFlags & {
        modelDir?: string;
        key?: string;
        signerId: string;
        modelName?: string;
        modelVersion?: string;
        framework?: string;
        author?: string;
        description?: string;
        output?: string;
        signature?: string;
        passphraseEnv?: string;
        force?: boolean;
        reuseDigests?: string;
        fromDigests?: string;
      },
    ) =>
      run(flags, async () => {
        const modelDir = modelPathFrom(modelArg, flags.modelDir);
        const signatureOut = signatureOutputFrom(flags);
        const metadata = {
          ...(flags.modelName !== undefined ? { modelName: flags.modelName } : {}),
          ...(flags.modelVersion !== undefined ? { modelVersion: flags.modelVersion } : {}),
          ...(flags.framework !== undefined ? { framework: flags.framework } : {}),
          ...(flags.author !== undefined ? { author: flags.author } : {}),
          ...(flags.description !== undefined ? { description: flags.description } : {}),
        };
        const target = signatureOut ?? (modelDir !== undefined ? defaultSignaturePath(modelDir) : undefined);
        // As keygen: an existing signature is replaced only when asked to, before any key is unlocked or file hashed.
        if (target !== undefined && !flags.force && existsSync(target)) {
          throw new AttestryError(
            'E_CONFLICT',
            `${resolve(target)} already exists; use --force to replace it (or --signature for another file)`,
          );
        }
        const keyPath = flags.key ?? ensureDefaultSigningKey((m) => process.stderr.write(`attestry: ${m}\n`));
        const privateKey = (await loadSigningKey(keyPath, flags.passphraseEnv)).signer;
        if (flags.fromDigests !== undefined) {
          const output = target;
          if (output === undefined)
            throw new AttestryError('E_USAGE', '--from-digests needs --signature (or a model path for the default location)');
          const r = signDigestList({
            digestsPath: flags.fromDigests,
            privateKey,
            signerId: flags.signerId,
            output,
            metadata,
            ...(flags.modelName ? { subjectName: flags.modelName } : {}),
          });
          emit(flags, { ok: true, ...r, bundle: undefined }, () =>
            [
              `Signed digest list written to: ${safeText(r.signaturePath)}`,
              `  Resources: ${r.resources}`,
              `  Root     : ${r.rootDigest}`,
              `  Signer   : ${safeText(flags.signerId)}`,
              `  Algorithm: ${r.algorithm}`,
            ].join('\n'),
          );
          return;
        }
        if (modelDir === undefined)
          throw new AttestryError(
            'E_USAGE',
            'give the model directory: `attestry model sign ./my-model` or --model-dir (or --from-digests)',
          );
        const json = flags.json ?? false;
        const h = hashingOptions(modelDir, flags, json);
        try {
          const r = await signModel({
            ...h,
            modelPath: modelDir,
            privateKey,
            signerId: flags.signerId,
            metadata,
            ...(signatureOut !== undefined ? { output: signatureOut } : {}),
            ...(flags.reuseDigests !== undefined ? { reuseDigestsFrom: flags.reuseDigests } : {}),
          });
          h.finish();
          const out = {
            ok: true,
            signaturePath: r.signaturePath,
            rootDigest: r.rootDigest,
            algorithm: r.algorithm,
            keyFingerprint: r.keyFingerprint,
            signerId: flags.signerId,
            files: r.files,
            resources: r.resources,
            bytesTotal: r.bytesTotal,
            bytesHashed: r.bytesHashed,
            filesReused: r.filesReused,
            durationMs: Math.round(r.durationMs),
          };
          emit(flags, out, () =>
            [
              `Signed manifest written to: ${safeText(r.signaturePath)}`,
              `  Files    : ${r.files}${r.filesReused > 0 ? ` (${r.filesReused} reused from ${safeText(flags.reuseDigests)})` : ''}`,
              `  Total    : ${formatBytes(r.bytesTotal)} (hashed ${formatBytes(r.bytesHashed)} at ${formatRate(r.bytesHashed, r.durationMs)})`,
              `  Root     : ${r.rootDigest}`,
              `  Signer   : ${safeText(flags.signerId)}`,
              `  Algorithm: ${r.algorithm}`,
            ].join('\n'),
          );
        } finally {
          h.finish();
        }
      }),
  );

  const verify = model
    .command('verify')
    .description('verify a model signature and every file on disk; exit 0 valid, 1 usage/load error, 2 invalid')
    .argument('[model]', 'the model directory (or single model file); or --model-dir')
    .option('--signature <file>', 'signature file (default <model-dir>/model.sig)')
    .option('--model-dir <dir>', 'the model directory (or single model file)')
    .option('--key <pem>', 'public key PEM to verify with (default: $ATTESTRY_HOME/keys/public.pem)')
    .option('--registry <file>', 'trusted publisher registry; the signer id (or key) picks the publisher')
    .option('--identity <id>', 'keyless (Sigstore) signature: the certificate identity that must have signed, exactly')
    .option('--identity-provider <url>', 'keyless: the OIDC issuer of that identity, exactly')
    .option('--issuer <url>', 'alias of --identity-provider (as verify-bundle and cosign spell it)')
    .option(
      '--trusted-root <file>',
      'keyless: trusted_root.json of a private Sigstore instance (default: refreshed or embedded public-good root)',
    )
    .option('--certificate-chain <pem...>', 'certificate signature: CA certificate(s) the signing certificate must chain to')
    .option('--ignore-unsigned-files', 'accept files present in the directory but not in the signature')
    .option('--json', 'machine-readable output');
  addHashingOptions(verify).action(
    (
      modelArg: string | undefined,
      flags: HashingFlags & VerifyMethodFlags & { signature?: string; modelDir?: string; ignoreUnsignedFiles?: boolean },
    ) =>
      run(flags, async () => {
        const modelDir = requireModelPath('verify', modelArg, flags.modelDir);
        const method = verifyMethodOptions(flags);
        // Else a missing directory surfaces as a missing <dir>/model.sig, which sends the user looking for the wrong file.
        if (!existsSync(modelDir))
          throw new AttestryError('E_NOT_FOUND', `model directory ${resolve(modelDir)} does not exist (--model-dir)`);
        const json = flags.json ?? false;
        const h = hashingOptions(modelDir, flags, json);
        let r;
        try {
          r = await verifyModel({
            ...h,
            modelPath: modelDir,
            signaturePath: flags.signature ?? defaultSignaturePath(modelDir),
            ...method,
            ignoreUnsignedFiles: flags.ignoreUnsignedFiles ?? false,
          });
        } finally {
          h.finish();
        }
        // Unauthenticated key material that names another key: said, but the key decided (JSON: `warnings`).
        if (!json) for (const w of r.warnings) process.stderr.write(`Warning: ${safeText(w)}\n`);
        emitVerdict(flags, r.ok ? undefined : filesFailure(r.problems), { ...r, durationMs: Math.round(r.durationMs) }, () =>
          verifyHuman(r),
        );
      }),
  );

  model
    .command('inspect')
    .description('show what a signature claims, without verifying it')
    .requiredOption('--signature <file>', 'signature file')
    .option('--json', 'machine-readable output')
    .option('--json-output', 'alias of --json')
    .action((flags: { signature: string; json?: boolean; jsonOutput?: boolean }) => {
      const json = { json: Boolean(flags.json || flags.jsonOutput) };
      return run(json, () => {
        const i = inspectSignature(flags.signature);
        emit(json, i, () => inspectHuman(i, flags.signature));
      });
    });

  const digest = model
    .command('digest')
    .description('print the root digest a signature of this model would carry')
    .argument('[model]', 'the model directory (or single file); or --model-dir')
    .option('--model-dir <dir>', 'the model directory (or single file)')
    .option('--json', 'machine-readable output');
  addSerializationOptions(addHashingOptions(digest)).action((modelArg: string | undefined, flags: HashingFlags & { modelDir?: string }) =>
    run(flags, async () => {
      const dir = requireModelPath('digest', modelArg, flags.modelDir);
      const h = hashingOptions(dir, flags, flags.json ?? false);
      try {
        const r = await modelDigest(dir, h);
        emit(flags, { ok: true, ...r }, () => r.rootDigest);
      } finally {
        h.finish();
      }
    }),
  );

  return model;
}
