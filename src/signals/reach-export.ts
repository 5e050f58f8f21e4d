/**
 * The export directory of a reachability verdict (`attestry signals
 * export-verdict`): the signed verdict and every record it cites, laid out so
 * `verify-verdict --dir` re-derives the verdict from the files alone.
 *
 *   verdict.dsse.json        the verdict's DSSE envelope, as the locker stores it (written last:
 *                            an interrupted export has none, so it cannot be mistaken for a whole one)
 *   verdict.bundle.json      its Sigstore bundle (log entry), when logged
 *   callgraph.ndjson         the callgraph's normalised NDJSON (sha256 = the manifest's digest)
 *   manifest.json, manifest.dsse.json?, manifest.bundle.json?, keys.json   as `signals export` writes them
 *   batches/<batchId>/       per cited batch: facts.ndjson (the bytes as received), provenance.json,
 *                            attestation.dsse.json, attestation.bundle.json?
 *
 * Everything read back is bounded (file sizes; at most MAX_CITED_BATCHES
 * batches) and a batch id becomes a path only after it parsed as a ULID.
 * Streamed files are written to a temporary name, fsynced and renamed, so a
 * crash leaves the old file or the new one, never half of one.
 */
import { createReadStream, existsSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDir, writeFileAtomic } from '../core/atomic-file.js';
import { AttestryError, ioError, isAttestryError } from '../core/errors.js';
import { parseUlid } from '../core/ids.js';
import { writeStreamedFile } from './export.js';

export { writeStreamedFile };
import { EXPORT_FILES } from './export-format.js';
import { MAX_VERDICT_BATCHES, MAX_VERDICT_BYTES } from './reach-verdict.js';

/** The files at the top of a verdict export. */
export const VERDICT_FILES = {
  verdict: 'verdict.dsse.json',
  verdictBundle: 'verdict.bundle.json',
  callgraph: 'callgraph.ndjson',
  manifest: EXPORT_FILES.manifest,
  manifestEnvelope: EXPORT_FILES.manifestEnvelope,
  manifestBundle: EXPORT_FILES.manifestBundle,
  keys: EXPORT_FILES.keys,
} as const;
export type VerdictFile = keyof typeof VERDICT_FILES;

/** The files of one cited batch, under `batches/<batchId>/` (the names of a one-batch export). */
export const BATCH_FILES = {
  facts: EXPORT_FILES.facts,
  provenance: EXPORT_FILES.provenance,
  attestation: EXPORT_FILES.attestation,
  attestationBundle: EXPORT_FILES.attestationBundle,
} as const;
export type BatchFile = keyof typeof BATCH_FILES;

export const BATCHES_DIR = 'batches';

/** A verdict cites at most this many batches (the predicate schema's bound); more is not a verdict of ours. */
export const MAX_CITED_BATCHES = MAX_VERDICT_BATCHES;

/** Size limits of the files read back (the streamed ones are never held whole). */
export const VERDICT_EXPORT_LIMITS = {
  /** The verdict envelope cites up to MAX_CITED_BATCHES batches (~600 bytes each, base64). */
  verdictBytes: MAX_VERDICT_BYTES,
  /** manifest, envelopes, bundles, provenance records, keys. */
  recordBytes: 16 * 1024 * 1024,
  /** The normalised callgraph: the upload limit (1 GiB) plus what normalising may add. */
  callgraphBytes: 4 * 1024 * 1024 * 1024,
  /** One batch as received: the ingest limit is 256 MiB by default. */
  factsBytes: 2 * 1024 * 1024 * 1024,
} as const;

/** Bytes that can be read more than once (hashed, then parsed), streamed from disk each time. */
export type ByteSource = () => AsyncIterable<Uint8Array>;

/** A cited batch's files; a file the export lacks is undefined (the verifier names it). */
export interface VerdictBatchFiles {
  readonly facts?: ByteSource | undefined;
  readonly provenance?: Uint8Array | undefined;
  readonly attestation?: Uint8Array | undefined;
  readonly attestationBundle?: Uint8Array | undefined;
}

/** What the offline verifier reads: the verdict, the callgraph and its manifest, the keys, and each cited batch on demand. */
export interface VerdictVerifyInput {
  readonly verdict: Uint8Array;
  readonly verdictBundle?: Uint8Array | undefined;
  readonly keys: Uint8Array;
  readonly callgraph: ByteSource;
  readonly manifest: Uint8Array;
  readonly manifestEnvelope?: Uint8Array | undefined;
  readonly manifestBundle?: Uint8Array | undefined;
  /** Read one batch at a time, so a verdict citing many batches never has all of them in memory. */
  readonly batch: (batchId: string) => Promise<VerdictBatchFiles>;
}

function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(e, 'read', path);
  }
}

function tooLarge(path: string, size: number, limit: number): AttestryError {
  return new AttestryError(
    'E_PAYLOAD_TOO_LARGE',
    `${path} is ${size} bytes, more than the ${limit} bytes a verdict export may hold in that file; it is not an export of ours`,
    { details: { path, size, limit } },
  );
}

/** A small file whole, or undefined when absent; larger than `limit` → E_PAYLOAD_TOO_LARGE. */
async function readBounded(path: string, limit: number): Promise<Buffer | undefined> {
  const size = sizeOf(path);
  if (size === undefined) return undefined;
  if (size > limit) throw tooLarge(path, size, limit);
  let handle;
  try {
    handle = await open(path, 'r');
    // Read at most limit + 1 bytes: a file that grew since stat is still refused.
    const buf = Buffer.alloc(Math.min(size, limit) + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got === buf.length) break;
    }
    if (got > limit) throw tooLarge(path, got, limit);
    return buf.subarray(0, got);
  } catch (e) {
    throw isAttestryError(e) ? e : ioError(e, 'read', path);
  } finally {
    await handle?.close();
  }
}

async function readRequired(
  path: string,
  limit: number,
  what: string,
  hint = 'export the verdict again (attestry signals export-verdict)',
): Promise<Buffer> {
  const bytes = await readBounded(path, limit);
  if (bytes === undefined) throw new AttestryError('E_NOT_FOUND', `${path} does not exist: ${what}; ${hint}`);
  return bytes;
}

/** A verdict envelope to verify (bounded). */
export function readVerdictEnvelopeFile(path: string): Promise<Buffer> {
  return readRequired(path, VERDICT_EXPORT_LIMITS.verdictBytes, 'the verdict envelope to verify', 'give the path of a verdict.dsse.json');
}

/** A file streamed from disk each time it is read; more than `limit` bytes → E_PAYLOAD_TOO_LARGE while streaming. */
function streamed(path: string, limit: number): ByteSource | undefined {
  const size = sizeOf(path);
  if (size === undefined) return undefined;
  if (size > limit) throw tooLarge(path, size, limit);
  return async function* () {
    let total = 0;
    try {
      for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
        total += (chunk as Buffer).length;
        if (total > limit) throw tooLarge(path, total, limit);
        yield chunk as Buffer;
      }
    } catch (e) {
      throw isAttestryError(e) ? e : ioError(e, 'read', path);
    }
  };
}

/** The directory of a cited batch; the id is a ULID before it becomes a path. */
export function batchDir(dir: string, batchId: string): string {
  return join(dir, BATCHES_DIR, parseUlid(batchId, 'cited batchId'));
}

/** Reads a cited batch's files from an export directory (absent files are undefined). */
export async function readBatchFiles(dir: string, batchId: string): Promise<VerdictBatchFiles> {
  const at = batchDir(dir, batchId);
  const record = (file: BatchFile) => readBounded(join(at, BATCH_FILES[file]), VERDICT_EXPORT_LIMITS.recordBytes);
  return {
    facts: streamed(join(at, BATCH_FILES.facts), VERDICT_EXPORT_LIMITS.factsBytes),
    provenance: await record('provenance'),
    attestation: await record('attestation'),
    attestationBundle: await record('attestationBundle'),
  };
}

/**
 * The verifier's input from an export directory. `verdictFile`: the verdict
 * to verify (default: the export's own verdict.dsse.json); the export's
 * verdict bundle is used with it (it only verifies for the same envelope).
 */
export async function readVerdictExportDir(dir: string, verdictFile?: string): Promise<VerdictVerifyInput> {
  if (!existsSync(dir)) throw new AttestryError('E_NOT_FOUND', `the export directory ${dir} does not exist`);
  const path = (file: VerdictFile) => join(dir, VERDICT_FILES[file]);
  const record = (file: VerdictFile) => readBounded(path(file), VERDICT_EXPORT_LIMITS.recordBytes);
  const verdict =
    verdictFile === undefined
      ? await readRequired(path('verdict'), VERDICT_EXPORT_LIMITS.verdictBytes, 'the verdict envelope')
      : await readVerdictEnvelopeFile(verdictFile);
  const callgraph = streamed(path('callgraph'), VERDICT_EXPORT_LIMITS.callgraphBytes);
  if (callgraph === undefined)
    throw new AttestryError(
      'E_NOT_FOUND',
      `${path('callgraph')} does not exist: the cited callgraph; export the verdict again (attestry signals export-verdict)`,
    );
  return {
    verdict,
    verdictBundle: await record('verdictBundle'),
    keys: await readRequired(path('keys'), VERDICT_EXPORT_LIMITS.recordBytes, 'the signing keys'),
    callgraph,
    manifest: await readRequired(path('manifest'), VERDICT_EXPORT_LIMITS.recordBytes, "the callgraph's manifest"),
    manifestEnvelope: await record('manifestEnvelope'),
    manifestBundle: await record('manifestBundle'),
    batch: (batchId) => readBatchFiles(dir, batchId),
  };
}

/** Writes one top-level file of a verdict export (crash-safe: old content or new, never half). */
export function writeVerdictFile(dir: string, file: VerdictFile, bytes: string | Uint8Array): string {
  ensureDir(dir);
  const path = join(dir, VERDICT_FILES[file]);
  writeFileAtomic(path, bytes);
  return path;
}

/**
 * Removes an optional file the server did not send this time (not logged,
 * unsigned), so a directory exported into before holds no stale bundle of
 * another record.
 */
export function clearVerdictFile(dir: string, file: VerdictFile): void {
  clearFile(join(dir, VERDICT_FILES[file]));
}

export function clearBatchFile(dir: string, batchId: string, file: BatchFile): void {
  clearFile(join(batchDir(dir, batchId), BATCH_FILES[file]));
}

function clearFile(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch (e) {
    throw ioError(e, 'remove', path);
  }
}

/** Writes one small file of a cited batch. */
export function writeBatchFile(dir: string, batchId: string, file: Exclude<BatchFile, 'facts'>, bytes: string | Uint8Array): string {
  const at = batchDir(dir, batchId);
  ensureDir(at);
  const path = join(at, BATCH_FILES[file]);
  writeFileAtomic(path, bytes);
  return path;
}

export function callgraphPath(dir: string): string {
  return join(dir, VERDICT_FILES.callgraph);
}

export function factsPath(dir: string, batchId: string): string {
  return join(batchDir(dir, batchId), BATCH_FILES.facts);
}
