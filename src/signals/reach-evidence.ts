/**
 * The citations a reachability answer carries (docs/reachability.md): the
 * callgraph as stored and signed, and the window's runtime-fact batches with
 * their attestations and log entries, so a verifier can fetch and check each
 * one. Read from the index rows; nothing here is derived.
 */
import { parseInstant } from './facts-validate.js';
import { AttestryError } from '../core/errors.js';
import { compareInstants, inWindow, symbolHits } from './reach-runtime.js';
import type { CallgraphCitation, CitedBatch, ReachabilityWindow } from './reach-types.js';
import type { CallgraphRow } from '../store/db/callgraphs-repo.js';
import type { EvidenceRepo } from '../store/db/evidence-repo.js';
import type { ReachFactsRepo, SymbolFactRow, WindowBatchRow } from '../store/db/reach-facts-repo.js';

/**
 * The callgraph citation. A signed manifest is the locker record whose id is
 * the graph id: its log index comes from that record, its entry id from the
 * row (recorded when the manifest was stored). Unsigned: all three null.
 */
export async function callgraphCitation(evidence: EvidenceRepo, row: CallgraphRow): Promise<CallgraphCitation> {
  const record = row.signature === null ? undefined : await evidence.get(row.graphId);
  const signed = record !== undefined;
  return {
    graphId: row.graphId,
    tenantId: row.tenant,
    componentPurl: row.componentPurl,
    digest: row.digest,
    contentDigest: row.contentDigest,
    manifestDigest: row.manifestDigest,
    manifestAttestationId: signed ? row.graphId : null,
    manifestLogIndex: signed ? (record.logIndex ?? null) : null,
    manifestRekorUuid: signed && record.logIndex !== null && record.logIndex !== undefined ? row.rekorUuid : null,
  };
}

/** ISO text of a millisecond instant as Date.toISOString writes it, or undefined outside years 0000-9999. */
function isoMs(ms: number): string | undefined {
  const text = new Date(ms).toISOString();
  return text.length === 24 ? text : undefined;
}

/** The window's batches of a callgraph (oldest first, newest `max`), and whether more were in the window. */
export async function windowBatches(
  facts: ReachFactsRepo,
  row: CallgraphRow,
  window: ReachabilityWindow,
  max: number,
): Promise<{ batches: WindowBatchRow[]; truncated: boolean }> {
  // Bounds rounded outwards to whole ms for SQL (received_at is toISOString text); inWindow decides exactly.
  const since = window.since === null ? null : parseInstant(window.since);
  const until = window.until === null ? null : parseInstant(window.until);
  const batches = await facts.windowBatches({
    tenant: row.tenant,
    callgraphId: row.graphId,
    receivedFrom: since === null ? undefined : isoMs(since.ms),
    receivedTo: until === null ? undefined : isoMs(until.ms + (until.sub > 0 ? 1 : 0)),
    accept: (receivedAt) => inWindow(receivedAt, window),
    max: max + 1,
  });
  // One more than allowed was asked for, to know whether the window was cut.
  if (batches.length <= max) return { batches, truncated: false };
  // The cut window starts at its oldest cited batch, so a batch left out must not share that instant
  // (received_at has ms resolution; bulk ingest puts several batches in one ms): drop its peers too.
  const dropped = batches[0]!.receivedAt;
  const kept = batches.slice(1).filter((b) => compareInstants(b.receivedAt, dropped) !== 0);
  if (kept.length === 0)
    throw new AttestryError(
      'E_INVALID_INPUT',
      `more than ${max} batches of callgraph ${row.graphId} were received at ${dropped} (Signals.Reachability.MaxWindowBatches); give until= before that instant or raise the limit`,
      { details: { field: 'until' } },
    );
  return { batches: kept, truncated: true };
}

/** Each symbol's CitedBatch list over the window's batches (every batch, with that symbol's hits, 0 when none). */
export async function citedBatchesBySymbol(
  facts: ReachFactsRepo,
  row: CallgraphRow,
  batches: readonly WindowBatchRow[],
  symbols: readonly string[],
): Promise<Map<string, CitedBatch[]>> {
  const found =
    batches.length === 0 || symbols.length === 0
      ? []
      : await facts.symbolFacts(
          row.tenant,
          row.graphId,
          symbols,
          batches.map((b) => b.batchId),
        );
  const bySymbolBatch = new Map<string, SymbolFactRow[]>();
  for (const f of found) {
    const key = `${f.symbolId}\u0000${f.batchId}`;
    const list = bySymbolBatch.get(key);
    if (list === undefined) bySymbolBatch.set(key, [f]);
    else list.push(f);
  }
  const out = new Map<string, CitedBatch[]>();
  for (const symbol of symbols) {
    out.set(
      symbol,
      batches.map((b) => {
        const hits = symbolHits(bySymbolBatch.get(`${symbol}\u0000${b.batchId}`) ?? [], symbol);
        return {
          batchId: b.batchId,
          provenanceId: b.provenanceId,
          provenanceHash: b.provenanceHash,
          receivedAt: b.receivedAt,
          source: b.source,
          attestationId: b.attestationId,
          attestationDigest: b.attestationDigest,
          logIndex: b.logIndex,
          rekorUuid: b.rekorUuid,
          hitCount: hits.hitCount,
          firstSeen: hits.firstSeen,
          lastSeen: hits.lastSeen,
        };
      }),
    );
  }
  return out;
}
