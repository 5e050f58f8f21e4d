import { decodeTime } from 'ulid';
import type { BlobStore } from '../store/blob/blob-store.js';
import type { CasKey } from '../store/blob/cas-key.js';
import type { EvidenceRepo } from '../store/db/evidence-repo.js';

/** Prefixes the evidence locker writes under (see evidenceBlobKey). */
const LOCKER_PREFIXES = ['attestations', 'model-signatures', 'ai-attestations', 'message-signatures'] as const;
const ID_RE = /^([0-9A-HJKMNP-TV-Z]{26})\./;

export interface GcReport {
  readonly scanned: number;
  /** Blobs no index row points at and older than the minimum age. */
  readonly orphans: readonly string[];
  readonly removed: number;
  /** Temp files of interrupted writes removed (filesystem store). */
  readonly tempFilesRemoved: number;
  readonly dryRun: boolean;
}

/**
 * Removes locker blobs that no index row references: what a crash between
 * the blob write and the index commit leaves behind (such a write was never
 * acknowledged). Only blobs whose ULID is older than `minAgeMs` are touched,
 * so writes still in flight are never collected. Referenced evidence is
 * never deleted (seed 000 §3.3: attestations are kept indefinitely).
 */
export async function collectOrphanBlobs(
  deps: { blobs: BlobStore; evidence: EvidenceRepo },
  options: { now: Date; minAgeMs: number; dryRun: boolean },
): Promise<GcReport> {
  const cutoff = options.now.getTime() - options.minAgeMs;
  let scanned = 0;
  const orphans: CasKey[] = [];
  let batch: { key: CasKey; id: string }[] = [];
  const flush = async (): Promise<void> => {
    const known = await deps.evidence.blobKeysOf(batch.map((b) => b.id));
    for (const b of batch) if (known.get(b.id) !== b.key) orphans.push(b.key);
    batch = [];
  };
  for (const prefix of LOCKER_PREFIXES) {
    for await (const key of deps.blobs.list(prefix)) {
      scanned += 1;
      const id = ID_RE.exec(key.slice(key.lastIndexOf('/') + 1))?.[1];
      if (id === undefined || decodeTime(id) > cutoff) continue;
      batch.push({ key, id });
      if (batch.length >= 500) await flush();
    }
  }
  if (batch.length > 0) await flush();
  let removed = 0;
  let tempFilesRemoved = 0;
  if (!options.dryRun) {
    for (const key of orphans) {
      await deps.blobs.delete(key);
      removed += 1;
    }
    tempFilesRemoved = (await deps.blobs.sweepTemporary?.(new Date(cutoff))) ?? 0;
  }
  return { scanned, orphans, removed, tempFilesRemoved, dryRun: options.dryRun };
}
