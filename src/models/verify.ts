/**
 * The `verifyModel` use case (OMS v1.0 §8): check the signature, then re-hash
 * the model and report every file that is modified, missing or unsigned.
 */
import { performance } from 'node:perf_hooks';
import { resolve, basename } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { AttestryError } from '../core/errors.js';
import { digestFromHex, type Digest } from '../core/digest.js';
import type { Clock } from '../core/ids.js';
import { keyAlgorithmOf, keyFingerprint, type KeyAlgorithm } from '../crypto/keys.js';
import { HashPool, type HashJob } from './hash-pool.js';
import { rangesOf } from './manifest.js';
import {
  acceptedAlgorithms,
  compareResources,
  parseShardName,
  rootDigestHex,
  shardName,
  type ModelMetadata,
  type OmsPredicate,
  type ParsedOmsStatement,
} from './oms.js';
import type { Publisher, RegistryFile } from './registry.js';
import { verifyModelSignature } from './verify-key.js';
import { ignoreSetFor, type HashingOptions } from './sign.js';
import { readSignatureFile } from './signature-file.js';
import { walkModel, type ModelFile } from './walk.js';
import {
  verifyCertificateModelSignature,
  verifyKeylessModelSignature,
  type CertificateModelPolicy,
  type KeylessModelPolicy,
} from './verify-sigstore.js';

export type FileProblemKind = 'modified' | 'missing' | 'unsigned' | 'size-changed' | 'rejected';

export interface FileProblem {
  name: string;
  kind: FileProblemKind;
  detail: string;
  expected?: string;
  actual?: string;
}

export interface VerifyModelOptions extends Pick<HashingOptions, 'ignorePaths' | 'ignoreGitPaths' | 'threads' | 'pool' | 'onProgress'> {
  modelPath: string;
  signaturePath: string;
  /** Verify with this key... */
  publicKey?: KeyObject;
  /** ...or with the publisher the signature names (by signer id, else by key hint)... */
  registry?: RegistryFile;
  /** ...or keyless: a Sigstore (Fulcio + Rekor) signature by this identity (model_signing `verify sigstore`)... */
  keyless?: KeylessModelPolicy;
  /** ...or a certificate chaining to these CAs (model_signing `verify certificate`). */
  certificateChain?: CertificateModelPolicy;
  /** Accept files that are in the directory but not in the signature (OMS §8.5). */
  ignoreUnsignedFiles?: boolean;
  clock?: Clock;
}

export interface VerifyModelResult {
  ok: boolean;
  signature: {
    valid: true;
    /** How the signer was established: a key (or registry publisher), a keyless identity, or a CA chain. */
    method: 'key' | 'sigstore' | 'certificate';
    algorithm: KeyAlgorithm;
    /** Keyless: the certificate identity and its OIDC issuer. */
    identity?: string;
    issuer?: string;
    keyFingerprint: Digest;
    publisher?: Pick<Publisher, 'id' | 'name'>;
    legacyFormat: boolean;
  };
  /**
   * `rootDigest`: the OMS root digest (§6.5.1) of the files on disk, recomputed by this verification,
   * in the signature's resource order (files the signature lacks after them); equal to
   * `signedRootDigest`, what the signed statement claims, exactly when nothing was modified.
   */
  model: { name: string; rootDigest: Digest; signedRootDigest: Digest; method: string; resources: number };
  metadata: ModelMetadata;
  filesChecked: number;
  bytesChecked: number;
  problems: FileProblem[];
  /** Things that did not decide the verdict but deserve a look, e.g. a key hint that names another key. */
  warnings: string[];
  durationMs: number;
}

interface ExpectedFile {
  ranges: { name: string; start: number; end: number; digest: string }[];
}

function expectedFiles(predicate: OmsPredicate, singleFileName: string | undefined): Map<string, ExpectedFile> {
  const s = predicate.serialization;
  const accepted = acceptedAlgorithms(s);
  const map = new Map<string, ExpectedFile>();
  for (const r of predicate.resources) {
    if (!accepted.includes(r.algorithm)) {
      throw new AttestryError(
        'E_SIGNATURE_FORMAT',
        `resource "${r.name}" has algorithm "${r.algorithm}", expected ${accepted.map((a) => `"${a}"`).join(' or ')}`,
      );
    }
    const shard = s.method === 'shards' ? parseShardName(r.name) : { path: r.name, start: 0, end: -1 };
    // Old model_signing named a single-file model's resource "."; it is that file.
    const file = singleFileName !== undefined && (shard.path === '.' || shard.path === singleFileName) ? singleFileName : shard.path;
    const entry = map.get(file) ?? { ranges: [] };
    // "." and the file's own name are one file: listing both is listing it twice.
    if (s.method === 'files' && entry.ranges.length > 0) {
      throw new AttestryError(
        'E_SIGNATURE_FORMAT',
        `resources "${entry.ranges[0]!.name}" and "${r.name}" both name the file "${file}"; a signature names each file once`,
        { details: { resource: r.name } },
      );
    }
    entry.ranges.push({ name: r.name, start: shard.start, end: shard.end, digest: r.digest });
    map.set(file, entry);
  }
  return map;
}

/** The signature check of whichever method the options choose; exactly one must be chosen. */
function checkSignature(
  signaturePath: string,
  options: VerifyModelOptions,
): { parsed: ParsedOmsStatement; signature: VerifyModelResult['signature']; warnings: string[] } {
  const chosen = [options.publicKey, options.registry, options.keyless, options.certificateChain].filter((o) => o !== undefined).length;
  if (chosen > 1)
    throw new AttestryError(
      'E_USAGE',
      'choose one way to verify: a public key, a publisher registry, a keyless identity or a certificate chain',
    );
  if (options.keyless || options.certificateChain) {
    const f = options.keyless
      ? verifyKeylessModelSignature(signaturePath, options.keyless)
      : verifyCertificateModelSignature(signaturePath, options.certificateChain!);
    const signature: VerifyModelResult['signature'] = {
      valid: true,
      method: f.method,
      algorithm: f.algorithm,
      keyFingerprint: f.keyFingerprint,
      legacyFormat: f.parsed.legacy || f.legacyPae,
    };
    if (f.identity !== undefined) signature.identity = f.identity;
    if (f.issuer !== undefined) signature.issuer = f.issuer;
    return { parsed: f.parsed, signature, warnings: [] };
  }
  const bundle = readSignatureFile(signaturePath);
  const { parsed, key, legacyPae: usedLegacy, warnings } = verifyModelSignature(bundle, options);
  const signature: VerifyModelResult['signature'] = {
    valid: true,
    method: 'key',
    algorithm: keyAlgorithmOf(key.key),
    keyFingerprint: keyFingerprint(key.key),
    legacyFormat: parsed.legacy || usedLegacy,
  };
  if (key.publisher) signature.publisher = { id: key.publisher.id, name: key.publisher.name };
  return { parsed, signature, warnings };
}

/**
 * The root digest (§6.5.1) of what is on disk: the digests of the signed resources that were
 * found, in the signature's order, then those of files the signature lacks, in model_signing's
 * order. Equal to the signed root exactly when every resource matched and nothing was added.
 */
function diskRootDigest(
  predicate: OmsPredicate,
  onDisk: ReadonlyMap<string, string>,
  extras: readonly { name: string }[],
  extraDigests: readonly string[],
  method: 'files' | 'shards',
): string {
  const resources: { digest: string }[] = [];
  for (const r of predicate.resources) {
    const d = onDisk.get(r.name);
    if (d !== undefined) resources.push({ digest: d });
  }
  const added = extras.map((e, i) => ({ name: e.name, digest: extraDigests[i]! })).sort((a, b) => compareResources(method, a.name, b.name));
  return rootDigestHex([...resources, ...added]);
}

export async function verifyModel(options: VerifyModelOptions): Promise<VerifyModelResult> {
  const started = performance.now();
  const modelPath = resolve(options.modelPath);
  const signaturePath = resolve(options.signaturePath);
  const { parsed, signature, warnings } = checkSignature(signaturePath, options);
  const { serialization } = parsed.predicate;

  const ignore = ignoreSetFor(modelPath, signaturePath, options, serialization.ignore_paths ?? []);
  const walked = walkModel(modelPath, { ignore: new Set(ignore), allowSymlinks: serialization.allow_symlinks });
  const problems: FileProblem[] = walked.rejected.map((r) => ({ name: r.name, kind: 'rejected', detail: r.reason }));
  const expected = expectedFiles(parsed.predicate, walked.singleFile ? basename(walked.files[0]!.name) : undefined);

  const jobs: HashJob[] = [];
  const checks: { file: ModelFile; name: string; resource: string; digest: string }[] = [];
  // Files (or a file's shards) on disk that the signature does not describe: hashed too, only
  // for the root digest of what is on disk (normally none).
  const extras: { name: string }[] = [];
  const extraJobs: HashJob[] = [];
  const seen = new Set<string>();
  let bytesChecked = 0;
  let bytesExtra = 0;
  const addExtra = (file: ModelFile): void => {
    for (const [start, end] of rangesOf(file, serialization.method, serialization.shard_size ?? 0)) {
      extras.push({ name: serialization.method === 'files' ? file.name : shardName(file.name, start, end) });
      extraJobs.push({ path: file.path, start, end });
    }
    bytesExtra += file.size;
  };
  for (const file of walked.files) {
    const want = expected.get(file.name);
    if (!want) {
      const emptyShardFile = serialization.method === 'shards' && file.size === 0;
      if (!options.ignoreUnsignedFiles && !emptyShardFile) {
        problems.push({ name: file.name, kind: 'unsigned', detail: 'is in the directory but not in the signature' });
      }
      if (!options.ignoreUnsignedFiles) addExtra(file);
      continue;
    }
    seen.add(file.name);
    if (serialization.method === 'shards') {
      const expectedEnd = Math.max(...want.ranges.map((r) => r.end));
      const layout = rangesOf(file, 'shards', serialization.shard_size!);
      const sameLayout =
        layout.length === want.ranges.length && layout.every(([s, e]) => want.ranges.some((r) => r.start === s && r.end === e));
      if (file.size !== expectedEnd || !sameLayout) {
        problems.push({
          name: file.name,
          kind: 'size-changed',
          detail: `is ${file.size} bytes, the signature covers ${expectedEnd}`,
          expected: String(expectedEnd),
          actual: String(file.size),
        });
        addExtra(file);
        continue;
      }
      for (const r of want.ranges) {
        jobs.push({ path: file.path, start: r.start, end: r.end });
        checks.push({ file, name: r.name, resource: r.name, digest: r.digest });
      }
    } else {
      jobs.push({ path: file.path, start: 0, end: file.size });
      checks.push({ file, name: file.name, resource: want.ranges[0]!.name, digest: want.ranges[0]!.digest });
    }
    bytesChecked += file.size;
  }
  for (const name of expected.keys()) {
    if (!seen.has(name)) problems.push({ name, kind: 'missing', detail: 'is in the signature but not in the directory' });
  }

  const ownPool = options.pool === undefined;
  const pool = options.pool ?? new HashPool(options.threads === undefined ? {} : { threads: options.threads });
  let digests: string[];
  try {
    const onProgress = options.onProgress;
    digests = await pool.hash([...jobs, ...extraJobs], {
      algorithm: serialization.hash_type,
      ...(onProgress ? { onProgress: (done: number) => onProgress(done, bytesChecked + bytesExtra) } : {}),
    });
  } finally {
    if (ownPool) await pool.close();
  }
  const onDisk = new Map<string, string>();
  checks.forEach((c, i) => {
    onDisk.set(c.resource, digests[i]!);
    if (digests[i] !== c.digest) {
      problems.push({
        name: c.name,
        kind: 'modified',
        detail: 'content differs from the signed digest',
        expected: c.digest,
        actual: digests[i]!,
      });
    }
  });
  const rootDigest = diskRootDigest(parsed.predicate, onDisk, extras, digests.slice(jobs.length), serialization.method);
  if (problems.length === 0 && rootDigest !== parsed.rootDigest) {
    // Unreachable once every resource matched (names are unique); kept so a report can never say
    // "verified" next to a root digest that is not the files'.
    problems.push({
      name: '.',
      kind: 'modified',
      detail: 'the root digest of the files differs from the signed one',
      expected: parsed.rootDigest,
      actual: rootDigest,
    });
  }
  problems.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  return {
    ok: problems.length === 0,
    signature,
    model: {
      name: parsed.subjectName,
      rootDigest: digestFromHex(rootDigest),
      signedRootDigest: digestFromHex(parsed.rootDigest),
      method: serialization.method,
      resources: parsed.predicate.resources.length,
    },
    metadata: parsed.metadata,
    filesChecked: checks.length === 0 ? 0 : new Set(checks.map((c) => c.file.name)).size,
    bytesChecked,
    problems,
    warnings,
    durationMs: performance.now() - started,
  };
}
