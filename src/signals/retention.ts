import type { Kysely } from 'kysely';
import {
  retentionPeriod,
  retentionReason,
  type BlobReferences,
  type ExpiredRecord,
  type GcOptions,
  type RetentionPass,
} from '../evidence/gc.js';
import type { KindDeclaration, RetentionRule } from '../kinds/declaration.js';
import type { KindRegistry } from '../kinds/registry.js';
import type { BlobStore } from '../store/blob/blob-store.js';
import type { CasKey } from '../store/blob/cas-key.js';
import type { EvidenceBlobRef, EvidenceDeletion } from '../store/db/evidence-repo.js';
import type { Database } from '../store/db/schema.js';
import { SignalsRetentionRepo, type SignalsDeletionInput, type SignalsRowRef } from '../store/db/signals-retention-repo.js';
import { CALLGRAPHS, MANIFESTS, RUNTIME_FACTS } from './kinds.js';

/**
 * Seed 000 §3.3 for the Signals rows. Callgraph and batch blobs are named
 * by rows of signals_callgraphs / signals_batches, not by evidence records,
 * so GC learns about them here (`signalsBlobReferences`), and their
 * retention is applied here (`signalsRetention`):
 *
 * - runtime-fact batches: deleted RetentionDays.RuntimeFacts days after
 *   ingest, with their fact aggregates and both blobs; the batch
 *   attestation is a locker record of kind attestations and stays forever;
 * - callgraphs no batch names: deleted RetentionDays.OrphanCallgraphs days
 *   after creation with both blobs; named ones stay, and so do manifests
 *   (a deleted callgraph's manifest blobs remain referenced through its
 *   evidence_deletions row).
 */

const DAY_MS = 86_400_000;
const PAGE = 500;

export interface SignalsGcDeps {
  readonly db: Kysely<Database>;
  readonly blobs: BlobStore;
  /** Mints and reads back the blob keys (the only place keys come from). */
  readonly kinds: KindRegistry;
  /** The resolved config the kinds' retention rules read their days from. */
  readonly config: unknown;
}

/** The Signals reference source and retention pass for GcDeps (`references`, `retentionPasses`). */
export function signalsGcSources(deps: SignalsGcDeps): { references: BlobReferences[]; retentionPasses: RetentionPass[] } {
  const repo = new SignalsRetentionRepo(deps.db);
  return { references: [signalsBlobReferences(repo, deps.kinds)], retentionPasses: [signalsRetention(repo, deps)] };
}

/** Blobs of callgraph and batch rows (any state: an unfinished write is repair's to finish or remove), and manifests of callgraphs that have or had a row. */
export function signalsBlobReferences(repo: SignalsRetentionRepo, kinds: KindRegistry): BlobReferences {
  return {
    async referencedBlobKeys(keys: readonly CasKey[]): Promise<Set<string>> {
      const parts = keys.flatMap((key) => {
        const p = kinds.matchKey(key);
        return p === undefined ? [] : [{ key, ...p }];
      });
      const ids = (kind: string): string[] => [...new Set(parts.filter((p) => p.kind === kind).map((p) => p.id))];
      const graphs = await repo.callgraphTenants([...new Set([...ids(CALLGRAPHS.name), ...ids(MANIFESTS.name)])]);
      const batches = await repo.batchTenants(ids(RUNTIME_FACTS.name));
      const deleted = await repo.deletedCallgraphs(ids(MANIFESTS.name).filter((id) => !graphs.has(id)));
      const referenced = new Set<string>();
      for (const p of parts) {
        const yes =
          p.kind === CALLGRAPHS.name
            ? graphs.get(p.id) === p.tenant
            : p.kind === RUNTIME_FACTS.name
              ? batches.get(p.id) === p.tenant
              : p.kind === MANIFESTS.name && (graphs.has(p.id) || deleted.has(p.id));
        if (yes) referenced.add(p.key);
      }
      return referenced;
    },
  };
}

interface Target {
  readonly kind: KindDeclaration;
  /** What the rule keeps, as the reason says it. */
  readonly what: string;
  /** `cutoffs`: kind → the creation time before which its rows expire in this run (set as each target runs). */
  list(
    query: { before: string; after?: string | undefined; limit: number },
    run: { dryRun: boolean; cutoffs: ReadonlyMap<string, string> },
  ): Promise<SignalsRowRef[]>;
  remove(input: SignalsDeletionInput): Promise<EvidenceDeletion | undefined>;
}

/** Retention of the runtime-facts and callgraphs kinds over the Signals rows. */
export function signalsRetention(repo: SignalsRetentionRepo, deps: SignalsGcDeps): RetentionPass {
  const targets: Target[] = [
    {
      kind: RUNTIME_FACTS,
      what: 'batches (by ingest time)',
      list: (q) => repo.batchesIngestedBefore(q),
      remove: (input) => repo.deleteBatch(input),
    },
    {
      kind: CALLGRAPHS,
      what: 'callgraphs no batch references',
      // A dry run deletes no batch, so it reports the callgraphs whose every batch it
      // would delete as the real run does (that run deletes those batches first).
      list: (q, run) =>
        repo.orphanCallgraphsBefore({ ...q, ignoreBatchesBefore: run.dryRun ? run.cutoffs.get(RUNTIME_FACTS.name) : undefined }),
      remove: (input) => repo.deleteOrphanCallgraph(input),
    },
  ];
  return {
    kinds: targets.map((t) => t.kind.name),
    async apply(options: GcOptions) {
      const expired: ExpiredRecord[] = [];
      let blobsRemoved = 0;
      const cutoffs = new Map<string, string>();
      for (const target of targets) {
        const name = target.kind.name;
        const days = retentionPeriod(deps.kinds, name, deps.config);
        if (days === null) continue;
        const rule = deps.kinds.require(name).retention as Extract<RetentionRule, { keep: 'days' }>;
        const reason = retentionReason(name, days, rule.configKey, target.what);
        const before = new Date(options.now.getTime() - days * DAY_MS).toISOString();
        cutoffs.set(name, before);
        let after: string | undefined;
        for (;;) {
          const page = await target.list({ before, after, limit: PAGE }, { dryRun: options.dryRun, cutoffs });
          for (const { id, tenant } of page) {
            if (options.dryRun) {
              expired.push({ id, tenant, kind: name, reason });
              continue;
            }
            const keys = deps.kinds.blobRoles(name).map((role) => ({ role, key: deps.kinds.blobKey(name, role, tenant, id) }));
            const blobs: readonly EvidenceBlobRef[] = keys;
            const deletion = await target.remove({ id, before, reason, deletedAt: options.now, blobs });
            // Another node deleted it first (that node reports it and removes the blobs), or a batch names the callgraph by now.
            if (deletion === undefined) continue;
            // Rows first, then blobs: a crash in between leaves unreferenced blobs, which the orphan pass collects.
            for (const { key } of keys) {
              await deps.blobs.delete(key);
              blobsRemoved += 1;
            }
            expired.push({ id, tenant: deletion.tenant, kind: name, reason });
          }
          if (page.length < PAGE) break;
          after = page[page.length - 1]?.id;
        }
      }
      return { expired, blobsRemoved };
    },
  };
}
