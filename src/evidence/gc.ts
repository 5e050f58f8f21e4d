import { decodeTime } from 'ulid';
import { AttestryError } from '../core/errors.js';
import type { KindRegistry } from '../kinds/registry.js';
import type { BlobStore } from '../store/blob/blob-store.js';
import { builtinKinds } from '../kinds/builtin.js';
import { parseCasKey } from '../kinds/cas-layout.js';
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
  /**
   * Who else references blobs besides evidence records:
   * a domain whose own rows name blobs (Signals: callgraph and batch rows).
   * A blob is an orphan only when no source references it.
   */
  readonly references?: readonly BlobReferences[] | undefined;
  /**
   * Retention a domain applies to its own rows (Signals: runtime-fact
   * batches, orphan callgraphs); the kinds a pass names are left to it by
   * the pass over evidence records. Run only when `config` is given.
   */
  readonly retentionPasses?: readonly RetentionPass[] | undefined;
}

/** A source of blob references other than the evidence index. */
export interface BlobReferences {
  /** Those of `keys` this source references (keys it does not know are simply not in the set). */
  referencedBlobKeys(keys: readonly CasKey[]): Promise<Set<string>>;
}

/** What one retention pass did (or, in a dry run, would do). */
export interface RetentionOutcome {
  readonly expired: ExpiredRecord[];
  readonly blobsRemoved: number;
}

/** Retention a domain applies to rows of its own; see GcDeps.retentionPasses. */
export interface RetentionPass {
  /** The kinds whose retention rule this pass applies (and the pass over evidence records does not). */
  readonly kinds: readonly string[];
  /**
   * Deletes what is past retention, each deletion in a transaction that
   * says whether this node made it (only those are reported), recorded in
   * evidence_deletions, its blobs removed afterwards. A dry run deletes
   * nothing and reports what would go.
   */
  apply(options: GcOptions): Promise<RetentionOutcome>;
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
  /** Blobs no evidence record and no other reference source references, older than the minimum age. */
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

/**
 * Days records of `kind` are kept under `config` (KindRegistry.retentionDays),
 * or null for kinds kept forever. GC refuses 0, which the registry allows as
 * a number of days: it would delete every record at once.
 */
export function retentionPeriod(kinds: KindRegistry, kind: string, config: unknown): number | null {
  const days = kinds.retentionDays(kind, config);
  if (days === 0) {
    const rule = kinds.require(kind).retention;
    const key = rule.keep === 'days' ? rule.configKey : kind;
    throw new AttestryError(
      'E_CONFIG',
      `retention of kind ${kind} reads ${key} from the config, which is 0; garbage collection needs a positive whole number of days`,
    );
  }
  return days;
}

/**
 * Deletes the evidence records of `days` kinds older than their retention,
 * each in its own transaction that says whether this node deleted it; only
 * then are its blobs removed (a missing blob is fine: another node, or an
 * earlier run that crashed, got there first).
 *
 * Kinds a retention pass names are that pass's. A `scope: 'unreferenced'`
 * kind no pass names is kept: only its domain knows what references it.
 */
async function applyRetention(deps: GcDeps, kinds: KindRegistry, options: GcOptions): Promise<RetentionOutcome> {
  const expired: ExpiredRecord[] = [];
  let blobsRemoved = 0;
  const byPasses = new Set((deps.retentionPasses ?? []).flatMap((p) => p.kinds));
  for (const kind of kinds.all()) {
    const rule = kind.retention;
    if (rule.keep !== 'days' || rule.scope === 'unreferenced' || byPasses.has(kind.name)) continue;
    const days = retentionPeriod(kinds, kind.name, deps.config);
    if (days === null) continue;
    const reason = retentionReason(kind.name, days, rule.configKey);
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

/** Why a record went, as reports and evidence_deletions say it. */
export function retentionReason(kind: string, days: number, configKey: string, what = 'records'): string {
  return `retention: kind ${kind} keeps ${what} ${days} days (${configKey})`;
}

/**
 * Garbage collection of the locker's blob store, in two passes:
 *
 * 1. Retention: records of kinds with a `days` rule older than that many
 *    days are deleted with their blobs, and each deletion is recorded;
 *    then each domain's retention pass does the same for its own rows.
 *    Kinds kept `forever` are never touched.
 * 2. Orphans: blobs under every registered kind's prefix that no evidence
 *    record and no other reference source references, which is
 *    what a crash between the blob writes and the index commit leaves
 *    behind (such a write was never acknowledged). Only blobs whose ULID is
 *    older than `minAgeMs` are touched, so writes in flight are never
 *    collected.
 *
 * Safe with several nodes at once: a record is deleted by one transaction
 * only, and deleting a blob that is already gone is not an error.
 */
export async function collectOrphanBlobs(deps: GcDeps, options: GcOptions): Promise<GcReport> {
  const registry = deps.kinds ?? builtinKinds();
  const retentionApplied = deps.config !== undefined;
  const expired: ExpiredRecord[] = [];
  let expiredBlobsRemoved = 0;
  if (retentionApplied) {
    const outcomes = [await applyRetention(deps, registry, options)];
    for (const pass of deps.retentionPasses ?? []) outcomes.push(await pass.apply(options));
    for (const outcome of outcomes) {
      expired.push(...outcome.expired);
      expiredBlobsRemoved += outcome.blobsRemoved;
    }
  }

  const cutoff = options.now.getTime() - options.minAgeMs;
  let scanned = 0;
  const orphans: CasKey[] = [];
  let batch: CasKey[] = [];
  const flush = async (): Promise<void> => {
    let unreferenced = batch;
    for (const source of [deps.evidence, ...(deps.references ?? [])]) {
      if (unreferenced.length === 0) break;
      const referenced = await source.referencedBlobKeys(unreferenced);
      unreferenced = unreferenced.filter((key) => !referenced.has(key));
    }
    orphans.push(...unreferenced);
    batch = [];
  };
  for (const prefix of registry.listPrefixes()) {
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
    expired,
    expiredBlobsRemoved,
    retentionApplied,
  };
}
