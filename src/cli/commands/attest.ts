/**
 * `attestry attest`: an in-toto Statement v1 about files or digests, signed as
 * DSSE and written as a Sigstore bundle v0.3; `--upload` stores it in the
 * evidence locker and writes the locker's bundle, with its log entry.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Command } from 'commander';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { readTextFileBounded } from '../../core/bounded-read.js';
import { AttestryError, ioError } from '../../core/errors.js';
import { parseJsonText } from '../../core/validation.js';
import { attestBundle, subjectFromDigest } from '../../crypto/blob-bundle.js';
import type { ResourceDescriptor } from '../../crypto/intoto.js';
import { keyFingerprint } from '../../crypto/keys.js';
import { emit } from '../output.js';
import { run } from '../run.js';
import { addSigningKeyOptions, loadSigningKey } from '../signing-key.js';
import { addUploadOptions, uploadBundle, type UploadFlags, uploadSummary } from '../upload.js';

interface AttestFlags extends UploadFlags {
  predicate: string;
  type: string;
  subject?: string[];
  digest?: string[];
  key: string;
  bundle: string;
  passphraseEnv?: string;
}

/** Predicates are documents, not data sets; the locker's body limit is of the same order. */
const MAX_PREDICATE_BYTES = 16 * 1024 * 1024;

async function fileSubject(path: string): Promise<ResourceDescriptor> {
  const hash = createHash('sha256');
  try {
    await pipeline(createReadStream(path), hash);
  } catch (e) {
    throw ioError(e, 'read subject', path);
  }
  return { name: basename(path), digest: { sha256: hash.digest('hex') } };
}

export function attestCommand(): Command {
  const cmd = new Command('attest')
    .description('sign an in-toto statement (any predicate) about files or digests: a DSSE Sigstore bundle v0.3')
    .requiredOption('--predicate <file>', 'the predicate, a JSON object')
    .requiredOption('--type <uri>', 'predicate type URI, e.g. https://slsa.dev/provenance/v1')
    .option('--subject <files...>', 'files the statement is about (named by file name, SHA-256 digest)')
    .option('--digest <sha256...>', 'subject digests sha256:<hex> instead of files')
    .requiredOption('--bundle <out>', 'where to write the bundle')
    .option('--json', 'machine-readable output');
  return addUploadOptions(addSigningKeyOptions(cmd))
    .addHelpText(
      'after',
      `
With --upload the service verifies the signature against the tenant's trusted keys (attestry key trust),
logs it, and OUT receives the service's bundle: log entry, inclusion proof, checkpoint (and timestamp).`,
    )
    .action((flags: AttestFlags) =>
      run(flags, async () => {
        const files = flags.subject ?? [];
        const digests = flags.digest ?? [];
        if (files.length === 0 && digests.length === 0)
          throw new AttestryError('E_USAGE', 'give the subject: --subject FILE… or --digest sha256:<hex>…');
        const predicate = parseJsonText(
          readTextFileBounded(flags.predicate, MAX_PREDICATE_BYTES, 'predicate'),
          `predicate ${flags.predicate}`,
          'E_INVALID_INPUT',
        );
        const subjects: ResourceDescriptor[] = [...digests.map((d) => subjectFromDigest(d))];
        for (const f of files) subjects.push(await fileSubject(f));
        const key = await loadSigningKey(flags.key, flags.passphraseEnv);
        let signed;
        try {
          signed = attestBundle({ subjects, predicateType: flags.type, predicate }, key.signer);
        } finally {
          key.close();
        }
        const out = resolve(flags.bundle);
        const uploaded = flags.upload ? await uploadBundle(flags, signed.bundle) : undefined;
        const written = uploaded?.bundle ?? signed.bundle;
        writeFileAtomic(out, `${JSON.stringify(written, null, 2)}\n`);
        const result = {
          ok: true,
          bundle: out,
          predicateType: flags.type,
          subjects: subjects.map((s) => ({
            ...(s.name !== undefined ? { name: s.name } : {}),
            digest: `sha256:${s.digest['sha256'] ?? ''}`,
          })),
          algorithm: key.signer.algorithm,
          keySource: key.source,
          keyFingerprint: keyFingerprint(key.signer.publicKey),
          hint: signed.bundle.verificationMaterial.publicKey?.hint ?? '',
          ...(uploaded !== undefined ? { upload: uploadSummary(uploaded) } : {}),
        };
        emit(flags, result, () => {
          const lines = [`Attestation (${flags.type}) → ${out}`];
          for (const s of result.subjects) lines.push(`  Subject  : ${s.name ?? '(unnamed)'} ${s.digest}`);
          lines.push(`  Key      : ${result.algorithm} ${result.keyFingerprint}${key.source === 'pkcs11' ? ' (PKCS#11 token)' : ''}`);
          if (uploaded === undefined) lines.push('  Log entry: none (key-only bundle: verify with --offline-key-only, or use --upload)');
          else if (uploaded.logIndex === null)
            lines.push(
              `  Stored   : ${uploaded.id} in tenant ${uploaded.tenant}, not logged (${uploaded.skipReason ?? 'logging is off'}); wrote the local bundle`,
            );
          else
            lines.push(
              `  Stored   : ${uploaded.id} in tenant ${uploaded.tenant}, log index ${uploaded.logIndex}; wrote the service's bundle`,
            );
          return lines.join('\n');
        });
      }),
    );
}
