/**
 * The `verifyModel` use case (OMS v1.0 §8): check the signature, then re-hash
 * the model and report every file that is modified, missing or unsigned.
 */
import { performance } from 'node:perf_hooks';
import { resolve, basename } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { AttestryError } from '../core/errors.js';
import { digestFromHex, type Digest } from '../core/digest.js';
import { systemClock, type Clock } from '../core/ids.js';
import { parseJsonText } from '../core/validation.js';
import type { KeyBundle } from '../crypto/bundle.js';
import { verifyEnvelope } from '../crypto/dsse.js';
import { parseStatement } from '../crypto/intoto.js';
import { keyAlgorithmOf, keyFingerprint, keyHintMatches, loadPublicKey, omsKeyHint, publicKeyToPem, type KeyAlgorithm } from '../crypto/keys.js';
import { createVerifier } from '../crypto/signer.js';
import { HashPool, type HashJob } from './hash-pool.js';
import { legacyPae } from './legacy-pae.js';
import { rangesOf } from './manifest.js';
import { acceptedAlgorithms, compareResources, parseOmsStatement, parseShardName, rootDigestHex, shardName, type ModelMetadata, type OmsPredicate, type ParsedOmsStatement } from './oms.js';
import { assertPublisherTrusted, findPublisher, publisherCandidates, type Publisher, type RegistryFile } from './registry.js';
import { ignoreSetFor, type HashingOptions } from './sign.js';
import { readSignatureFile, unverifiedStatement } from './signature-file.js';
import { walkModel, type ModelFile } from './walk.js';
import { verifyCertificateModelSignature, verifyKeylessModelSignature, type CertificateModelPolicy, type KeylessModelPolicy } from './verify-sigstore.js';

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

interface KeyChoice {
  key: KeyObject;
  publisher?: Publisher;
}

function unverifiedSignerId(bundle: KeyBundle): string | undefined {
  const id = unverifiedStatement(bundle).subject[0]?.annotations?.['signerId'];
  return typeof id === 'string' ? id : undefined;
}

/** The keys that may have made the signature, in the order they are tried. */
function candidateKeys(bundle: KeyBundle, options: VerifyModelOptions): KeyChoice[] {
  const material = bundle.verificationMaterial.publicKey;
  if (!material) {
    throw new AttestryError(
      'E_SIGNATURE_FORMAT',
      'this signature was made with a certificate or keyless (Sigstore) identity, not a key; verify it with an identity and identity provider, or with the CA certificate chain',
    );
  }
  if (options.publicKey) return [{ key: options.publicKey }];
  if (!options.registry) throw new AttestryError('E_USAGE', 'give a public key or a publisher registry to verify against');
  const signerId = unverifiedSignerId(bundle);
  if (signerId !== undefined) {
    // A signature that names its signer is checked against that publisher only.
    const publisher = findPublisher(options.registry, signerId);
    if (!publisher) throw new AttestryError('E_UNTRUSTED_PUBLISHER', `no trusted publisher in the registry matches this signature (signer id "${signerId}")`);
    assertPublisherTrusted(publisher, (options.clock ?? systemClock).now());
    return [{ key: loadPublicKey(publisher.publicKey, `publisher ${publisher.id}`), publisher }];
  }
  // No signer id (e.g. made by model_signing): the hint picks whom to try first, the key decides.
  const candidates = publisherCandidates(options.registry, material.hint).map((p) => ({ key: loadPublicKey(p.publicKey, `publisher ${p.id}`), publisher: p }));
  if (candidates.length === 0) throw new AttestryError('E_UNTRUSTED_PUBLISHER', 'no trusted publisher in the registry matches this signature (the registry is empty)');
  return candidates;
}

/** The envelope's payload if `key` signed it (standard PAE, else model_signing's pre-1.0 one). */
function tryVerify(bundle: KeyBundle, key: KeyObject): { payload: Buffer; legacyPae: boolean } | undefined {
  const verifier = createVerifier(key);
  for (const legacy of [false, true]) {
    try {
      return { payload: verifyEnvelope(bundle.dsseEnvelope, [verifier], 1, legacy ? legacyPae : undefined).payload, legacyPae: legacy };
    } catch (e) {
      if (!(e instanceof AttestryError) || e.code !== 'E_SIGNATURE_INVALID') throw e;
    }
  }
  return undefined;
}

/** What the bundle's unauthenticated key material says that does not fit the key that verified. */
function keyMaterialWarnings(bundle: KeyBundle, key: KeyObject): string[] {
  const material = bundle.verificationMaterial.publicKey;
  const warnings: string[] = [];
  if (material?.hint && !keyHintMatches(material.hint, key)) {
    warnings.push(
      `the key hint "${material.hint}" (verificationMaterial.publicKey.hint, not signed) is neither SHA-256 of the verifying key's SPKI PEM (${omsKeyHint(key)}) nor of its DER (${keyFingerprint(key).slice(7)}); the signature was checked with the key, which verified it`,
    );
  }
  if (material?.rawBytes) {
    let same = false;
    try {
      same = publicKeyToPem(loadPublicKey(Buffer.from(material.rawBytes, 'base64').toString('utf8'), 'embedded public key')) === publicKeyToPem(key);
    } catch {
      same = false;
    }
    if (!same) warnings.push('the public key embedded in the bundle (verificationMaterial.publicKey.rawBytes, not signed) is not the verifying key; the signature was checked with the key, which verified it');
  }
  return warnings;
}

/** Verifies the bundle's signature and returns the parsed OMS statement. */
export function verifyModelSignature(
  bundle: KeyBundle,
  options: VerifyModelOptions,
): { parsed: ParsedOmsStatement; key: KeyChoice; legacyPae: boolean; warnings: string[] } {
  const candidates = candidateKeys(bundle, options);
  for (const choice of candidates) {
    const verified = tryVerify(bundle, choice.key);
    if (verified === undefined) continue;
    if (choice.publisher) assertPublisherTrusted(choice.publisher, (options.clock ?? systemClock).now());
    if (bundle.dsseEnvelope.payloadType !== 'application/vnd.in-toto+json') {
      throw new AttestryError('E_SIGNATURE_FORMAT', `payloadType is "${bundle.dsseEnvelope.payloadType}", expected application/vnd.in-toto+json`);
    }
    const statement = parseStatement(parseJsonText(verified.payload.toString('utf8'), 'DSSE payload', 'E_SIGNATURE_FORMAT'));
    return { parsed: parseOmsStatement(statement), key: choice, legacyPae: verified.legacyPae, warnings: keyMaterialWarnings(bundle, choice.key) };
  }
  const hint = bundle.verificationMaterial.publicKey?.hint;
  if (options.publicKey === undefined && unverifiedSignerId(bundle) === undefined) {
    // Registry, matched by key: none of its publishers made this signature.
    throw new AttestryError('E_UNTRUSTED_PUBLISHER', `no publisher in the registry holds the key that made this signature (tried ${candidates.length}; the signature names no signer id)`, {
      details: { tried: candidates.length, ...(hint ? { hint } : {}) },
    });
  }
  const tried = candidates.map((c) => (c.publisher ? `publisher "${c.publisher.id}" (${keyFingerprint(c.key)})` : keyFingerprint(c.key)));
  const named = hint ? ` The signature's key hint is "${hint}"; the key given hashes to ${omsKeyHint(candidates[0]!.key)} (SPKI PEM) / ${keyFingerprint(candidates[0]!.key).slice(7)} (SPKI DER).` : '';
  throw new AttestryError(
    'E_SIGNATURE_INVALID',
    `the signature does not verify with ${candidates.length === 1 ? 'the key' : `any of the ${candidates.length} keys`} tried: ${tried.join(', ')}; it was made with another key or the envelope was changed.${candidates.length === 1 ? named : ''}`,
    { details: { check: 'signature', tried: tried.length, ...(hint ? { hint } : {}) } },
  );
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
      throw new AttestryError('E_SIGNATURE_FORMAT', `resource "${r.name}" has algorithm "${r.algorithm}", expected ${accepted.map((a) => `"${a}"`).join(' or ')}`);
    }
    const shard = s.method === 'shards' ? parseShardName(r.name) : { path: r.name, start: 0, end: -1 };
    // Old model_signing named a single-file model's resource "."; it is that file.
    const file = singleFileName !== undefined && (shard.path === '.' || shard.path === singleFileName) ? singleFileName : shard.path;
    const entry = map.get(file) ?? { ranges: [] };
    // "." and the file's own name are one file: listing both is listing it twice.
    if (s.method === 'files' && entry.ranges.length > 0) {
      throw new AttestryError('E_SIGNATURE_FORMAT', `resources "${entry.ranges[0]!.name}" and "${r.name}" both name the file "${file}"; a signature names each file once`, { details: { resource: r.name } });
    }
    entry.ranges.push({ name: r.name, start: shard.start, end: shard.end, digest: r.digest });
    map.set(file, entry);
  }
  return map;
}

/** The signature check of whichever method the options choose; exactly one must be chosen. */
function checkSignature(signaturePath: string, options: VerifyModelOptions): { parsed: ParsedOmsStatement; signature: VerifyModelResult['signature']; warnings: string[] } {
  const chosen = [options.publicKey, options.registry, options.keyless, options.certificateChain].filter((o) => o !== undefined).length;
  if (chosen > 1) throw new AttestryError('E_USAGE', 'choose one way to verify: a public key, a publisher registry, a keyless identity or a certificate chain');
  if (options.keyless || options.certificateChain) {
    const f = options.keyless ? verifyKeylessModelSignature(signaturePath, options.keyless) : verifyCertificateModelSignature(signaturePath, options.certificateChain!);
    const signature: VerifyModelResult['signature'] = { valid: true, method: f.method, algorithm: f.algorithm, keyFingerprint: f.keyFingerprint, legacyFormat: f.parsed.legacy || f.legacyPae };
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
      const sameLayout = layout.length === want.ranges.length && layout.every(([s, e]) => want.ranges.some((r) => r.start === s && r.end === e));
      if (file.size !== expectedEnd || !sameLayout) {
        problems.push({ name: file.name, kind: 'size-changed', detail: `is ${file.size} bytes, the signature covers ${expectedEnd}`, expected: String(expectedEnd), actual: String(file.size) });
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
      problems.push({ name: c.name, kind: 'modified', detail: 'content differs from the signed digest', expected: c.digest, actual: digests[i]! });
    }
  });
  const rootDigest = diskRootDigest(parsed.predicate, onDisk, extras, digests.slice(jobs.length), serialization.method);
  if (problems.length === 0 && rootDigest !== parsed.rootDigest) {
    // Unreachable once every resource matched (names are unique); kept so a report can never say
    // "verified" next to a root digest that is not the files'.
    problems.push({ name: '.', kind: 'modified', detail: 'the root digest of the files differs from the signed one', expected: parsed.rootDigest, actual: rootDigest });
  }
  problems.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  return {
    ok: problems.length === 0,
    signature,
    model: { name: parsed.subjectName, rootDigest: digestFromHex(rootDigest), signedRootDigest: digestFromHex(parsed.rootDigest), method: serialization.method, resources: parsed.predicate.resources.length },
    metadata: parsed.metadata,
    filesChecked: checks.length === 0 ? 0 : new Set(checks.map((c) => c.file.name)).size,
    bytesChecked,
    problems,
    warnings,
    durationMs: performance.now() - started,
  };
}
