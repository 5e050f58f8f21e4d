/**
 * An export directory of one runtime-fact batch on disk (EXPORT_FILES): read
 * back for offline verification, the facts file hashed as it streams so a
 * batch of any size is never held whole, and written piece by piece by
 * `attestry signals export`.
 */
import { createHash } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ensureDir, fsyncDir, writeFileAtomic } from '../core/atomic-file.js';
import { ioError, isAttestryError } from '../core/errors.js';
import { EXPORT_FILES } from './export-format.js';
import type { SignalsExportInput } from './verify-offline.js';

export type ExportFile = keyof typeof EXPORT_FILES;

function readRequired(dir: string, file: ExportFile): Buffer {
  const path = join(dir, EXPORT_FILES[file]);
  try {
    return readFileSync(path);
  } catch (e) {
    throw ioError(e, `read ${EXPORT_FILES[file]} of the export`, path);
  }
}

function readOptional(dir: string, file: ExportFile): Buffer | undefined {
  return existsSync(join(dir, EXPORT_FILES[file])) ? readRequired(dir, file) : undefined;
}

/** `sha256:` of a file, read as a stream. */
export async function digestFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (e) {
    throw ioError(e, 'read', path);
  }
  return `sha256:${hash.digest('hex')}`;
}

/** The verifier's input from an export directory; the bundles and the manifest envelope may be absent (not logged, unsigned). */
export async function readExportDir(dir: string): Promise<SignalsExportInput> {
  return {
    factsDigest: await digestFile(join(dir, EXPORT_FILES.facts)),
    provenance: readRequired(dir, 'provenance'),
    attestation: readRequired(dir, 'attestation'),
    attestationBundle: readOptional(dir, 'attestationBundle'),
    manifest: readRequired(dir, 'manifest'),
    manifestEnvelope: readOptional(dir, 'manifestEnvelope'),
    manifestBundle: readOptional(dir, 'manifestBundle'),
    keys: readRequired(dir, 'keys'),
  };
}

/** Writes one file of an export (crash-safe: old content or new, never half). */
export function writeExportFile(dir: string, file: ExportFile, bytes: string | Uint8Array): string {
  ensureDir(dir);
  const path = join(dir, EXPORT_FILES[file]);
  writeFileAtomic(path, bytes);
  return path;
}

/** Streams the facts blob into the export (crash-safe, like every export file); returns the digest of what was written. */
export function writeExportFacts(dir: string, source: AsyncIterable<Uint8Array>): Promise<{ path: string; digest: string; bytes: number }> {
  return writeStreamedFile(join(dir, EXPORT_FILES.facts), source);
}

/**
 * Streams `source` to `path` through a temporary file that is fsynced and
 * renamed into place; returns the sha256 and size of what was written.
 */
export async function writeStreamedFile(
  path: string,
  source: AsyncIterable<Uint8Array>,
): Promise<{ path: string; digest: string; bytes: number }> {
  ensureDir(dirname(path));
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const hashed = digestingStream(source);
  try {
    const out = createWriteStream(tmp, { flags: 'wx' });
    await pipeline(hashed.chunks, out);
    const handle = await open(tmp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    renameSync(tmp, path);
    fsyncDir(dirname(path));
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    // A failing source (a broken download) is reported as itself; only file-system errors are the file's.
    if (isAttestryError(e)) throw e;
    throw ioError(e, 'write', path);
  }
  return { path, ...hashed.result() };
}

/**
 * Passes a body's chunks through while hashing and counting them, so what is
 * written is digested in the same pass. `result` is read once, after `chunks` is drained.
 */
export function digestingStream(source: AsyncIterable<Uint8Array>): {
  chunks: AsyncGenerator<Uint8Array>;
  result: () => { digest: string; bytes: number };
} {
  const hash = createHash('sha256');
  let bytes = 0;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      hash.update(chunk);
      bytes += chunk.byteLength;
      yield chunk;
    }
  }
  return { chunks: chunks(), result: () => ({ digest: `sha256:${hash.digest('hex')}`, bytes }) };
}
