import { AttestryError } from '../core/errors.js';
import { parseDigest } from '../core/digest.js';
import { BatchesRepo, type BatchRow } from '../store/db/batches-repo.js';
import { deleteBatchBlobs, openRawContent, provenanceKey } from './batch-blobs.js';
import { completeBatch, servicePrincipal, typeCounts, type ExistingAttestation } from './batch-finish.js';
import type { SignalsDeps } from './deps.js';
import { readFactBatch } from './facts-input.js';
import { parseBatchAttestation } from './provenance.js';

/**
 * Finishes or removes runtime-fact uploads a crash abandoned (intent rows
 * still 'writing' after `olderThanMs`; SQLite runs it at startup with 0).
 *
 * An intent whose fact blob is recorded and verifies (it decompresses to
 * bytes hashing to its provenanceHash) is completed when its attestation
 * exists and attests that hash, or, with attestations switched off, when its
 * provenance record was written: the upload got past its last step but the
 * acknowledgement. The provenance record is (re)written from the row and the
 * attestation, which give the same bytes the upload wrote. Anything less is
 * removed: the row first, then its blobs (a crash in between leaves blobs
 * no row names, which GC collects). A logged attestation is never removed.
 *
 * Safe to run on several nodes at once and again after a crash of its own:
 * each row is claimed by a conditional update before anything is done to it,
 * and every later step is conditional on the row still being an intent.
 */
export interface RepairReport {
  readonly completed: readonly string[];
  readonly removed: readonly { readonly batchId: string; readonly reason: string }[];
  /** Rows another repairer claimed first, or whose repair failed (retried next run). */
  readonly skipped: readonly { readonly batchId: string; readonly reason: string }[];
}

const ROWS_PER_QUERY = 100;

export async function repairBatches(deps: SignalsDeps, options: { readonly olderThanMs: number }): Promise<RepairReport> {
  const batches = new BatchesRepo(deps.db, deps.dialect);
  const cutoff = new Date(deps.clock.now().getTime() - options.olderThanMs).toISOString();
  const report = {
    completed: [] as string[],
    removed: [] as { batchId: string; reason: string }[],
    skipped: [] as { batchId: string; reason: string }[],
  };
  for (;;) {
    const rows = await batches.abandoned(cutoff, ROWS_PER_QUERY);
    if (rows.length === 0) break;
    for (const row of rows) {
      // A claimed row's updated_at moves past the cutoff: it does not come back in this run.
      if (!(await batches.claim(row, deps.clock.now().toISOString()))) {
        report.skipped.push({ batchId: row.batchId, reason: 'claimed by another repairer' });
        continue;
      }
      try {
        const outcome = await repairOne(deps, batches, row);
        if (outcome === 'completed') report.completed.push(row.batchId);
        else report.removed.push({ batchId: row.batchId, reason: outcome.removed });
      } catch (e) {
        report.skipped.push({ batchId: row.batchId, reason: e instanceof Error ? e.message : String(e) });
      }
    }
    if (rows.length < ROWS_PER_QUERY) break;
  }
  return report;
}

async function repairOne(deps: SignalsDeps, batches: BatchesRepo, row: BatchRow): Promise<'completed' | { removed: string }> {
  const remove = async (reason: string): Promise<{ removed: string }> => {
    if (await batches.deleteIntent(row.batchId)) await deleteBatchBlobs(deps, row.tenant, row.batchId);
    return { removed: reason };
  };
  if (row.contentDigest === null || row.callgraphId === null) return remove('the fact blob was never completely stored');
  let summary: Awaited<ReturnType<typeof readFactBatch>>;
  try {
    const limits = { maxBytes: row.rawSize, maxLineBytes: deps.limits.maxLineBytes, maxFacts: deps.limits.maxFactsPerBatch };
    summary = await readFactBatch(await openRawContent(deps, row), row.form, limits);
  } catch (e) {
    return remove(`the fact blob does not verify: ${e instanceof Error ? e.message : String(e)}`);
  }
  const existing = await findAttestation(deps, row);
  if (existing === undefined) {
    if (deps.switches.batchAttestationOff === undefined) return remove('the batch attestation was never stored');
    if ((await deps.blobs.head(provenanceKey(deps, row.tenant, row.batchId))) === undefined) {
      return remove('the provenance record was never stored');
    }
  }
  await completeBatch(
    deps,
    batches,
    {
      batchId: row.batchId,
      provenanceId: row.provenanceId,
      tenant: row.tenant,
      callgraphId: row.callgraphId,
      source: row.source,
      pipelineVersion: row.pipelineVersion,
      receivedAt: row.receivedAt,
      ingestedAt: row.ingestedAt,
      provenanceHash: parseDigest(row.provenanceHash, 'stored provenance hash'),
      factCount: row.factCount,
      factTypes: row.factTypes,
    },
    summary.aggregates,
    existing,
    () => undefined,
    typeCounts(summary),
  );
  return 'completed';
}

/** The batch's attestation in the locker, when it is there and attests this batch's bytes. */
async function findAttestation(deps: SignalsDeps, row: BatchRow): Promise<ExistingAttestation | undefined> {
  let stored: Awaited<ReturnType<SignalsDeps['locker']['get']>>;
  try {
    stored = await deps.locker.get(servicePrincipal(row.tenant), row.batchId);
  } catch (e) {
    if (e instanceof AttestryError && (e.code === 'E_NOT_FOUND' || e.code === 'E_INTEGRITY')) return undefined;
    throw e;
  }
  try {
    const { predicate } = parseBatchAttestation(stored.bytes);
    if (predicate.batchId !== row.batchId || predicate.provenanceHash !== row.provenanceHash) return undefined;
  } catch {
    return undefined;
  }
  const log = await deps.locker.logInfo(stored.row);
  return { id: stored.row.id, rekorUuid: log.rekorUuid, skipReason: log.skipReason };
}
