/** The `signModel` use case: enumerate, hash, build the OMS statement, sign, write atomically. */
import { performance } from 'node:perf_hooks';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ensureDir } from '../core/atomic-file.js';
import { statSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { AttestryError } from '../core/errors.js';
import { canonicalBytes } from '../core/canonical-json.js';
import { digestFromHex, type Digest } from '../core/digest.js';
import { buildKeyBundle, type KeyBundle } from '../crypto/bundle.js';
import { signEnvelope } from '../crypto/dsse.js';
import { INTOTO_PAYLOAD_TYPE, type Statement } from '../crypto/intoto.js';
import { keyFingerprint, omsKeyHint, requireKeyObject, type KeyAlgorithm } from '../crypto/keys.js';
import { asSigner, type Signer } from '../crypto/signer.js';
import { HashPool } from './hash-pool.js';
import { hashModel, type ReusableFile } from './manifest.js';
import {
  buildOmsStatement,
  DEFAULT_SHARD_SIZE,
  HASH_TYPES,
  type HashType,
  type ModelMetadata,
  type OmsPredicate,
  type OmsSerialization,
  type ShardAlgorithmSpelling,
} from './oms.js';
import { DEFAULT_GIT_IGNORES, normaliseRelativePath } from './paths.js';
import { REUSE_SIDECAR_SUFFIX, reusableFromSignature, reuseSidecarPath, writeReuseSidecar } from './reuse.js';
import { writeSignatureFile } from './signature-file.js';
import { assertNoRejected, walkModel } from './walk.js';

export const DEFAULT_SIGNATURE_NAME = 'model.sig';

export interface HashingOptions {
  /** "files" (default) hashes each file whole; "shards" splits files so one file uses every core. */
  method?: 'files' | 'shards';
  shardSize?: number;
  /** Shard `algorithm` spelling: "model-signing" (default, verifiable by that tool) or "spec" (schema-exact). */
  shardAlgorithm?: ShardAlgorithmSpelling;
  /** Per-file (or per-shard) hash: "sha256" (default), "blake2b" or "blake3" (as model_signing spells them). */
  hashType?: HashType;
  /** Model-relative paths to leave out (the signature file is always left out). */
  ignorePaths?: readonly string[];
  /** Leave out .git, .gitattributes, .github, .gitignore at the root (default true, as model_signing). */
  ignoreGitPaths?: boolean;
  allowSymlinks?: boolean;
  /** Hashing worker threads, at least 1 (E_USAGE otherwise); default one per core. */
  threads?: number;
  pool?: HashPool;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

export interface SignModelOptions extends HashingOptions {
  modelPath: string;
  /** A software private key, or a signer whose key lives elsewhere (a PKCS#11 token). */
  privateKey: KeyObject | Signer;
  signerId: string;
  /** Recorded in subject[0].annotations; `signedAt` only when the caller sets it (it makes signatures differ). */
  metadata?: Omit<ModelMetadata, 'signerId'>;
  /** Where to write the signature; default `<model dir>/model.sig` (for a single file, `<file>.sig`). */
  output?: string;
  /** An earlier signature by the same key whose digests are reused for files with unchanged size and mtime. */
  reuseDigestsFrom?: string;
}

export interface SignModelResult {
  signaturePath: string;
  /** The unsigned sidecar with file sizes and mtimes for a later `reuseDigestsFrom` (`<signature>.reuse.json`). */
  reuseSidecarPath: string;
  bundle: KeyBundle;
  statement: Statement<OmsPredicate>;
  rootDigest: Digest;
  algorithm: KeyAlgorithm;
  keyFingerprint: Digest;
  files: number;
  resources: number;
  bytesTotal: number;
  bytesHashed: number;
  filesReused: number;
  durationMs: number;
}

export function defaultSignaturePath(modelPath: string): string {
  const abs = resolve(modelPath);
  let isDir = true;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    // a missing model is reported by the walk with a clearer message
  }
  return isDir ? join(abs, DEFAULT_SIGNATURE_NAME) : `${abs}.sig`;
}

/** The model-relative name of `path` when it lies inside the model directory. */
export function pathInsideModel(modelPath: string, path: string): string | undefined {
  const rel = relative(resolve(modelPath), resolve(path));
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}

export function serializationFor(options: HashingOptions, ignorePaths: string[]): OmsSerialization {
  const method = options.method ?? 'files';
  const hashType = options.hashType ?? 'sha256';
  if (!HASH_TYPES.includes(hashType)) throw new AttestryError('E_USAGE', `hash type must be one of ${HASH_TYPES.join(', ')}`);
  const s: OmsSerialization = { method, hash_type: hashType, allow_symlinks: options.allowSymlinks ?? false };
  if (method === 'shards') {
    const shardSize = options.shardSize ?? DEFAULT_SHARD_SIZE;
    if (!Number.isSafeInteger(shardSize) || shardSize <= 0)
      throw new AttestryError('E_USAGE', `shard size must be a positive integer, got ${shardSize}`);
    s.shard_size = shardSize;
  }
  if (ignorePaths.length > 0) s.ignore_paths = ignorePaths;
  return s;
}

/** The ignore set for a model: user entries, git defaults, and the signature file itself. */
export function ignoreSetFor(
  modelPath: string,
  signaturePath: string,
  options: HashingOptions,
  recorded: readonly string[] = [],
): string[] {
  const set = new Set<string>(recorded.map((p) => normaliseRelativePath(p, 'ignore path')));
  for (const p of options.ignorePaths ?? []) set.add(normaliseRelativePath(p, 'ignore path'));
  if (options.ignoreGitPaths ?? true) for (const p of DEFAULT_GIT_IGNORES) set.add(p);
  const sigInside = pathInsideModel(modelPath, signaturePath);
  if (sigInside !== undefined) {
    set.add(sigInside);
    set.add(`${sigInside}${REUSE_SIDECAR_SUFFIX}`);
  }
  return [...set].sort();
}

/** Signs an OMS statement (RFC 8785 bytes in DSSE), wraps it in a bundle and writes it atomically. */
export function sealStatement(statement: Statement<OmsPredicate>, signer: Signer, signaturePath: string): KeyBundle {
  const envelope = signEnvelope(INTOTO_PAYLOAD_TYPE, canonicalBytes(statement), [signer]);
  const bundle = buildKeyBundle(envelope, omsKeyHint(signer.publicKey));
  ensureDir(dirname(signaturePath));
  writeSignatureFile(signaturePath, bundle);
  return bundle;
}

export async function signModel(options: SignModelOptions): Promise<SignModelResult> {
  const started = performance.now();
  if (!options.signerId || options.signerId.trim() === '') throw new AttestryError('E_USAGE', 'a signer id is required');
  const modelPath = resolve(options.modelPath);
  const signaturePath = resolve(options.output ?? defaultSignaturePath(modelPath));
  const signer = asSigner(options.privateKey);
  // OMS bundles are verified by Sigstore-aware tools, which have no GOST algorithm.
  requireKeyObject(signer.publicKey, 'OpenSSF model signatures (OMS bundles)');

  const ignore = ignoreSetFor(modelPath, signaturePath, options);
  const walked = walkModel(modelPath, { ignore: new Set(ignore), allowSymlinks: options.allowSymlinks ?? false });
  assertNoRejected(walked);
  if (walked.files.length === 0) {
    throw new AttestryError('E_EMPTY_MODEL', `${modelPath} contains no files to sign (after ignores); OMS requires at least one`);
  }
  // A single-file model has no directory to ignore paths in (model_signing records none).
  const serialization = serializationFor(options, walked.singleFile ? [] : ignore);

  let reuse: Map<string, ReusableFile> | undefined;
  if (options.reuseDigestsFrom !== undefined) {
    reuse = reusableFromSignature(options.reuseDigestsFrom, requireKeyObject(signer.publicKey, 'OpenSSF model signatures'), serialization);
  }

  const ownPool = options.pool === undefined;
  const pool = options.pool ?? new HashPool(options.threads === undefined ? {} : { threads: options.threads });
  let hashed;
  try {
    const bytesTotal = walked.files.reduce((n, f) => n + f.size, 0);
    const onProgress = options.onProgress;
    hashed = await hashModel(walked.files, {
      pool,
      serialization,
      ...(reuse ? { reuse } : {}),
      ...(options.shardAlgorithm ? { shardAlgorithm: options.shardAlgorithm } : {}),
      ...(onProgress ? { onProgress: (done: number) => onProgress(done, bytesTotal) } : {}),
    });
  } finally {
    if (ownPool) await pool.close();
  }

  // No signing time and no file stats in the statement: the same files, key and options sign to
  // the same bytes. When it was signed is the log's and the timestamp's to say.
  const statement = buildOmsStatement(walked.modelName, hashed.resources, serialization, {
    ...options.metadata,
    signerId: options.signerId,
  });
  const bundle = sealStatement(statement, signer, signaturePath);
  writeReuseSidecar(signaturePath, canonicalBytes(statement), hashed.stats);

  return {
    signaturePath,
    reuseSidecarPath: reuseSidecarPath(signaturePath),
    bundle,
    statement,
    rootDigest: digestFromHex(statement.subject[0]!.digest['sha256']!),
    algorithm: signer.algorithm,
    keyFingerprint: keyFingerprint(signer.publicKey),
    files: walked.files.length,
    resources: hashed.resources.length,
    bytesTotal: hashed.bytesTotal,
    bytesHashed: hashed.bytesHashed,
    filesReused: hashed.filesReused,
    durationMs: performance.now() - started,
  };
}
