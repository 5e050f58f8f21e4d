/**
 * Shared helpers for test/models and test/cli (not a test file itself: only
 * `*.test.js` files are run). Temporary model directories, keys, and
 * assertions for AttestryError codes on sync and async calls.
 */
import assert from 'node:assert/strict';
import { createHash, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AttestryError, type ErrorCode } from '../../src/core/errors.js';
import { generateKeyPair, type NodeKeyAlgorithm } from '../../src/crypto/keys.js';

/** A fresh directory under the OS temp dir; the caller removes it (see `removeDir`). */
export function makeTempDir(prefix = 'attestry-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export type FileTree = Record<string, string | Uint8Array>;

/** Writes `files` (model-relative POSIX paths → content) under `dir`, creating parent directories. */
export function writeFiles(dir: string, files: FileTree): void {
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, ...name.split('/'));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
}

export interface TempModel {
  /** The temp directory holding the model (remove this one). */
  base: string;
  /** The model directory itself: `<base>/<name>`, so its basename is known. */
  dir: string;
  name: string;
  cleanup(): void;
}

/** Creates `<tmp>/<name>/` holding `files`. */
export function makeModel(files: FileTree, name = 'my-model'): TempModel {
  const base = makeTempDir();
  const dir = join(base, name);
  mkdirSync(dir);
  writeFiles(dir, files);
  return { base, dir, name, cleanup: () => removeDir(base) };
}

/** A small model with nested directories used by many tests. */
export const SAMPLE_FILES: FileTree = {
  'config.json': '{"hidden_size": 768}\n',
  'weights/model-00001.safetensors': Buffer.alloc(4096, 7),
  'weights/model-00002.safetensors': Buffer.from('second shard of the weights'),
  'tokenizer/vocab.txt': 'hello\nworld\n',
  'README.md': '# model\n',
};

export interface TestKeyPair {
  algorithm: NodeKeyAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function makeKeyPair(algorithm: NodeKeyAlgorithm = 'ed25519'): TestKeyPair {
  return generateKeyPair(algorithm);
}

export function sha256HexOf(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function fileSha256(path: string): string {
  return sha256HexOf(readFileSync(path));
}

function checkError(caught: unknown, code: ErrorCode, patterns: readonly RegExp[]): AttestryError {
  assert.ok(caught !== undefined, `expected an AttestryError ${code}, but nothing was thrown`);
  assert.ok(caught instanceof AttestryError, `expected an AttestryError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `expected code ${code}, got ${caught.code}: ${caught.message}`);
  for (const pattern of patterns) assert.match(caught.message, pattern);
  return caught;
}

/** Asserts that `fn` throws an AttestryError with `code` and a message matching every pattern. */
export function expectAttestryError(fn: () => unknown, code: ErrorCode, ...patterns: RegExp[]): AttestryError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  return checkError(caught, code, patterns);
}

/** Async variant of `expectAttestryError`. */
export async function expectRejects(
  promise: Promise<unknown> | (() => Promise<unknown>),
  code: ErrorCode,
  ...patterns: RegExp[]
): Promise<AttestryError> {
  let caught: unknown;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (e) {
    caught = e;
  }
  return checkError(caught, code, patterns);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a signature file as plain JSON (for tampering with it). */
export function readJsonFile(path: string): Record<string, unknown> {
  const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
  assert.ok(isRecord(v), `${path} is not a JSON object`);
  return v;
}

/** The shape of the parts of a bundle the tests look into. */
export interface BundleJson {
  mediaType: string;
  verificationMaterial: { publicKey?: { hint?: string }; tlogEntries?: unknown[] };
  dsseEnvelope: { payloadType: string; payload: string; signatures: { keyid?: string; sig: string }[] };
}

export interface StatementJson {
  _type: string;
  subject: { name: string; digest: Record<string, string>; annotations?: Record<string, unknown> }[];
  predicateType: string;
  predicate: {
    resources: { name: string; algorithm: string; digest: string; annotations?: Record<string, unknown> }[];
    serialization: { method: string; hash_type: string; allow_symlinks: boolean; shard_size?: number; ignore_paths?: string[] };
  };
}

export function readBundle(path: string): BundleJson {
  const v = readJsonFile(path);
  const env = v['dsseEnvelope'];
  assert.ok(isRecord(env), 'bundle has no dsseEnvelope object');
  assert.equal(typeof env['payload'], 'string');
  return v as unknown as BundleJson;
}

/** Decodes the (unverified) in-toto statement inside a signature file. */
export function readStatement(path: string): StatementJson {
  const bundle = readBundle(path);
  const v: unknown = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
  assert.ok(isRecord(v), 'payload is not a JSON object');
  return v as unknown as StatementJson;
}

/** Rewrites the payload of a signature file, keeping its signature. */
export function rewritePayload(path: string, edit: (statement: StatementJson) => void): void {
  const bundle = readBundle(path);
  const statement = readStatement(path);
  edit(statement);
  bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement), 'utf8').toString('base64');
  writeFileSync(path, JSON.stringify(bundle));
}

/** Flips one bit in byte `index` of a file (index may be negative: from the end). */
export function flipByte(path: string, index = 0): void {
  const buf = readFileSync(path);
  assert.ok(buf.length > 0, `${path} is empty; nothing to flip`);
  const i = index < 0 ? buf.length + index : index;
  buf[i] = buf[i]! ^ 0x01;
  writeFileSync(path, buf);
}
