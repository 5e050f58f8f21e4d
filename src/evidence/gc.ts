import { decodeTime } from 'ulid';
import { AttestryError } from '../core/errors.js';
import type { KindDeclaration, RetentionRule } from '../kinds/declaration.js';
import type { KindRegistry } from '../kinds/registry.js';
import type { BlobStore } from '../store/blob/blob-store.js';
import { builtinKinds } from '../kinds/builtin.js';
import { parseCasKey } from '../kinds/cas-layout.js';
import { readConfigPath } from '../kinds/config-path.js';
import type { CasKey } from '../store/blob/cas-key.js';
import type { EvidenceRepo } from '../store/db/evidence-repo.js';

const ID_RE = /^([0-9A-HJKMNP-TV-Z]{26})\./;
const DAY_MS = 86_400_000;

export interface GcDeps {
  readonly blobs: BlobStore;
  readonly evidence: EvidenceRepo;
  /**
   * The kinds whose prefixes are scanned and whose retention rules apply.
   * Without it the built-in kinds are.
   */
  readonly kinds?: KindRegistry | undefined;
  /** The resolved config that `days` retention rules read their `configKey` from; without it no retention applies. */
  readonly config?: unknown;
}

export interface GcOptions {
  readonly now: Date;
  readonly minAgeMs: number;
  readonly dryRun: boolean;
}

/** A record retention deleted (or, in a dry run, would delete). */
export interface ExpiredRecord {
  readonly id: string;
  readonly tenant: string;
  readonly kind: string;
  readonly reason: string;
}

export interface GcReport {
  readonly scanned: number;
  /** Blobs no record references and older than the minimum age. */
  readonly orphans: readonly string[];
  readonly removed: number;
  /** Temp files of interrupted writes removed (filesystem store). */
  readonly tempFilesRemoved: number;
  readonly dryRun: boolean;
  /**
   * Records deleted by their kind's retention rule, by this run: when two
   * nodes collect at once each record is reported by the one that deleted it.
   * Each is also recorded in evidence_deletions (EvidenceRepo.deletions).
   */
  readonly expired: readonly ExpiredRecord[];
  /** Blobs of expired records removed. */
  readonly expiredBlobsRemoved: number;
  /** Whether retention rules were applied (they need the resolved config). */
  readonly retentionApplied: boolean;
}

function retentionDays(kind: string, rule: Extract<RetentionRule, { keep: 'days' }>, config: unknown): number {
  const days = readConfigPath(config, rule.configKey);
  if (typeof days !== 'number' || !Number.isInteger(days) || days <= 0) {
    throw new AttestryError(
      'E_CONFIG',
      // JSON.stringify(undefined) is undefined, whatever its declared type says.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      `retention of kind ${kind} reads ${rule.configKey} from the config, which is ${JSON.stringify(days) ?? 'missing'}, not a positive whole number of days`,
    );
  }
  return days;
}

/**
 * Deletes the records of `days` kinds older than their retention, each in
 * its own transaction that says whether this node deleted it; only then are
 * its blobs removed (a missing blob is fine: another node, or an earlier
 * run that crashed, got there first).
 *
 * `scope: 'unreferenced'` (seed 000 §3.3 orphan callgraphs) is not applied
 * yet: no record references another until the Signals domain adds references.
 */
async function applyRetention(
  deps: GcDeps,
  kinds: readonly Pick<KindDeclaration, 'name' | 'retention'>[],
  options: GcOptions,
): Promise<{ expired: ExpiredRecord[]; blobsRemoved: number }> {
  const expired: ExpiredRecord[] = [];
  let blobsRemoved = 0;
  for (const kind of kinds) {
    const rule = kind.retention;
    // `unreferenced` (seed 000 §3.3 orphan callgraphs) needs references between
    // records, which come with the Signals domain; until then such records are
    // kept, never deleted as if they were all orphans.
    if (rule.keep !== 'days' || rule.scope === 'unreferenced') continue;
    const days = retentionDays(kind.name, rule, deps.config);
    const reason = `retention: kind ${kind.name} keeps records ${days} days (${rule.configKey})`;
    const before = new Date(options.now.getTime() - days * DAY_MS).toISOString();
    let after: string | undefined;
    for (;;) {
      const page = await deps.evidence.createdBefore({ kind: kind.name, createdBefore: before, after, limit: 500 });
      for (const { id, tenant } of page) {
        if (options.dryRun) {
          expired.push({ id, tenant, kind: kind.name, reason });
          continue;
        }
        const deletion = await deps.evidence.deleteRecord(id, reason, options.now);
        // Another node deleted it first; that node reports it and removes its blobs.
        if (deletion === undefined) continue;
        for (const blob of deletion.blobs) {
          await deps.blobs.delete(parseCasKey(blob.key, deps.kinds));
          blobsRemoved += 1;
        }
        expired.push({ id, tenant: deletion.tenant, kind: deletion.kind, reason });
      }
      if (page.length < 500) break;
      after = page[page.length - 1]?.id;
    }
  }
  return { expired, blobsRemoved };
}

/**
 * Garbage collection of the locker's blob store, in two passes:
 *
 * 1. Retention: records of kinds with a `days` rule older than that many
 *    days are deleted with their blobs, and each deletion is recorded.
 *    Kinds kept `forever` are never touched.
 * 2. Orphans: blobs under every registered kind's prefix that no record
 *    references (evidence_blobs), which is what a crash between the blob
 *    writes and the index commit leaves behind (such a write was never
 *    acknowledged). Only blobs whose ULID is older than `minAgeMs` are
 *    touched, so writes still in flight are never collected.
 *
 * Safe with several nodes at once: a record is deleted by one transaction
 * only, and deleting a blob that is already gone is not an error.
 */
export async function collectOrphanBlobs(deps: GcDeps, options: GcOptions): Promise<GcReport> {
  const kinds = (deps.kinds ?? builtinKinds()).all();
  const retentionApplied = deps.config !== undefined;
  const retention = retentionApplied ? await applyRetention(deps, kinds, options) : { expired: [], blobsRemoved: 0 };

  const cutoff = options.now.getTime() - options.minAgeMs;
  let scanned = 0;
  const orphans: CasKey[] = [];
  let batch: CasKey[] = [];
  const flush = async (): Promise<void> => {
    const referenced = await deps.evidence.referencedBlobKeys(batch);
    for (const key of batch) if (!referenced.has(key)) orphans.push(key);
    batch = [];
  };
  for (const prefix of new Set(kinds.map((k) => k.name))) {
    for await (const key of deps.blobs.list(prefix)) {
      scanned += 1;
      const id = ID_RE.exec(key.slice(key.lastIndexOf('/') + 1))?.[1];
      if (id === undefined || decodeTime(id) > cutoff) continue;
      batch.push(key);
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
  return {
    scanned,
    orphans,
    removed,
    tempFilesRemoved,
    dryRun: options.dryRun,
    expired: retention.expired,
    expiredBlobsRemoved: retention.blobsRemoved,
    retentionApplied,
  };
}
