/**
 * `sign --from-digests FILE`: sign a path→digest list without the files, for
 * models that live in OCI layers or remote stores. The list is either
 * `sha256sum` output (`<hex>  <path>`, `<hex> *<path>`) or a JSON object
 * `{ "<path>": "<hex>" | "sha256:<hex>" }`.
 */
import { resolve, basename, extname } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { AttestryError } from '../core/errors.js';
import { digestFromHex, type Digest } from '../core/digest.js';
import { parseJsonText } from '../core/validation.js';
import { asSigner, type Signer } from '../crypto/signer.js';
import { keyFingerprint, requireKeyObject, type KeyAlgorithm } from '../crypto/keys.js';
import type { KeyBundle } from '../crypto/bundle.js';
import { buildOmsStatement, compareResources, type ModelMetadata, type OmsResource } from './oms.js';
import { normaliseRelativePath } from './paths.js';
import { sealStatement, serializationFor } from './sign.js';
import { readTextFileBounded } from './signature-file.js';

const SHA256SUM_LINE = /^\\?([0-9a-fA-F]{64}) [ *](.+)$/;

export function parseDigestList(text: string, source: string): Map<string, string> {
  const entries = new Map<string, string>();
  const add = (rawPath: string, rawDigest: unknown, where: string) => {
    const path = normaliseRelativePath(rawPath, `${source} ${where}`);
    if (typeof rawDigest !== 'string') throw new AttestryError('E_INVALID_INPUT', `${source} ${where}: digest must be a string`);
    const hex = rawDigest.replace(/^sha256:/, '').toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(hex))
      throw new AttestryError('E_INVALID_INPUT', `${source} ${where}: "${rawDigest.slice(0, 80)}" is not a sha256 digest`);
    if (entries.has(path)) throw new AttestryError('E_INVALID_INPUT', `${source} ${where}: "${path}" is listed twice`);
    entries.set(path, hex);
  };
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    const obj = parseJsonText(text, source);
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj))
      throw new AttestryError('E_INVALID_INPUT', `${source}: expected a JSON object of path → digest`);
    for (const [path, digest] of Object.entries(obj)) add(path, digest, `key "${path.slice(0, 80)}"`);
  } else {
    text.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() === '' || line.startsWith('#')) return;
      const m = SHA256SUM_LINE.exec(line);
      if (!m) throw new AttestryError('E_INVALID_INPUT', `${source} line ${i + 1}: expected "<sha256 hex>  <path>" (sha256sum format)`);
      add(m[2]!, m[1]!, `line ${i + 1}`);
    });
  }
  if (entries.size === 0) throw new AttestryError('E_EMPTY_MODEL', `${source} lists no files`);
  return entries;
}

export interface SignDigestListOptions {
  digestsPath: string;
  /** A software private key, or a signer whose key lives elsewhere (a PKCS#11 token). */
  privateKey: KeyObject | Signer;
  signerId: string;
  output: string;
  /** Subject name; defaults to the list file's name without extension. */
  subjectName?: string;
  metadata?: Omit<ModelMetadata, 'signerId' | 'signedAt'>;
}

export interface SignDigestListResult {
  signaturePath: string;
  bundle: KeyBundle;
  rootDigest: Digest;
  algorithm: KeyAlgorithm;
  keyFingerprint: Digest;
  resources: number;
}

export function signDigestList(options: SignDigestListOptions): SignDigestListResult {
  if (!options.signerId || options.signerId.trim() === '') throw new AttestryError('E_USAGE', 'a signer id is required');
  const source = options.digestsPath;
  const entries = parseDigestList(readTextFileBounded(source, 256 * 1024 * 1024, 'digest list'), source);
  const serialization = serializationFor({ method: 'files' }, []);
  const resources: OmsResource[] = [...entries]
    .map(([name, digest]) => ({ name, algorithm: 'sha256', digest }))
    .sort((a, b) => compareResources('files', a.name, b.name));
  const signer = asSigner(options.privateKey);
  // OMS bundles are verified by Sigstore-aware tools, which have no GOST algorithm.
  requireKeyObject(signer.publicKey, 'OpenSSF model signatures (OMS bundles)');
  const subjectName = options.subjectName ?? basename(source, extname(source));
  const statement = buildOmsStatement(subjectName, resources, serialization, {
    ...options.metadata,
    signerId: options.signerId,
  });
  const signaturePath = resolve(options.output);
  const bundle = sealStatement(statement, signer, signaturePath);
  return {
    signaturePath,
    bundle,
    rootDigest: digestFromHex(statement.subject[0]!.digest['sha256']!),
    algorithm: signer.algorithm,
    keyFingerprint: keyFingerprint(signer.publicKey),
    resources: resources.length,
  };
}
