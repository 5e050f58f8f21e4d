import type { Principal } from '../authz/principal.js';
import type { Digest } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import type { BlobInfo } from '../store/blob/blob-store.js';
import type { BatchAggregate, BatchesRepo } from '../store/db/batches-repo.js';
import { provenanceKey } from './batch-blobs.js';
import type { SignalsDeps } from './deps.js';
import type { FactsSummary } from './facts-input.js';
import { buildProvenance, provenanceBytes, signBatchAttestation } from './provenance.js';
import type { RuntimeFactProvenance } from './types.js';

/**
 * The steps of an upload after the fact blob is durable, shared by ingest
 * and by repair: the batch attestation (a locker record whose id is the
 * batch id), the `.provenance.json` record, and the acknowledging
 * transaction. Telemetry is reported here, once per acknowledged batch.
 */

/** What reading the body produced: helper A's summary plus the stored fact blob. */
export type IngestedBody = FactsSummary & { readonly provenanceHash: Digest; readonly rawBytes: number; readonly content: BlobInfo };

/** Everything the provenance record and the attestation are built from. */
export interface BatchFacts {
  readonly batchId: string;
  readonly provenanceId: string;
  readonly tenant: string;
  readonly callgraphId: string;
  readonly source: string;
  readonly pipelineVersion: string;
  readonly receivedAt: string;
  readonly ingestedAt: string;
  readonly provenanceHash: Digest;
  readonly factCount: number;
  readonly factTypes: readonly string[];
}

/** A batch attestation already in the locker (found by repair). */
export interface ExistingAttestation {
  readonly id: string;
  readonly rekorUuid: string | null;
  readonly skipReason: string | undefined;
}

/** The principal the service stores its own records as: §3.2's Signals Service, for this one tenant. */
export const servicePrincipal = (tenant: string): Principal => ({ tokenId: 'signals-service', role: 'signals-service', tenants: [tenant] });

export const abandoned = (batchId: string): AttestryError =>
  new AttestryError('E_UNAVAILABLE', `batch ${batchId} was abandoned while it was written (a repair removed it); send it again`, {
    details: { batchId, retryable: true },
  });

const iso = (t: string | null): string | null => (t === null ? null : new Date(t).toISOString());

/** Ingest: records what the body said, then completes the batch. */
export async function finishBatch(
  d: SignalsDeps,
  batches: BatchesRepo,
  intent: Omit<BatchFacts, 'ingestedAt' | 'provenanceHash' | 'factCount' | 'factTypes'>,
  body: IngestedBody,
  onAttested: () => void,
): Promise<RuntimeFactProvenance> {
  const ingestedAt = d.clock.now().toISOString();
  const recorded = await batches.recordProgress(intent.batchId, {
    callgraphId: intent.callgraphId,
    provenanceHash: body.provenanceHash,
    rawSize: body.rawBytes,
    factCount: body.factCount,
    factTypes: body.factTypes,
    // Normalised so the streaming query's `since` compares them as text.
    firstObserved: iso(body.firstObserved),
    lastObserved: iso(body.lastObserved),
    ingestedAt,
    contentDigest: body.content.digest,
    contentSize: body.content.size,
    now: ingestedAt,
  });
  if (!recorded) throw abandoned(intent.batchId);
  const facts: BatchFacts = {
    ...intent,
    ingestedAt,
    provenanceHash: body.provenanceHash,
    factCount: body.factCount,
    factTypes: body.factTypes,
  };
  return completeBatch(d, batches, facts, body.aggregates, undefined, onAttested, typeCounts(body));
}

/** Facts per type for the ingest counter. */
export function typeCounts(summary: FactsSummary): ReadonlyMap<string, number> {
  return new Map(Object.entries(summary.typeCounts));
}

/**
 * Attestation (unless one exists already, or §9 switches it off), provenance
 * record, acknowledgement. The record's `ingestedAt` and the predicate's
 * `timestamp` are one instant, so repair rebuilds the same provenance bytes.
 */
export async function completeBatch(
  d: SignalsDeps,
  batches: BatchesRepo,
  f: BatchFacts,
  aggregates: readonly BatchAggregate[],
  existing: ExistingAttestation | undefined,
  onAttested: () => void,
  counts: ReadonlyMap<string, number>,
): Promise<RuntimeFactProvenance> {
  let attestation = existing;
  if (attestation === undefined && d.switches.batchAttestationOff === undefined) {
    const { envelope, bytes } = signBatchAttestation(
      { batchId: f.batchId, provenanceHash: f.provenanceHash, factCount: f.factCount, timestamp: f.ingestedAt, callgraphId: f.callgraphId },
      d.signer,
    );
    try {
      const stored = await d.locker.putRecord(servicePrincipal(f.tenant), {
        tenant: f.tenant,
        envelope: bytes,
        parsedJson: envelope,
        extraBlobs: [],
        id: f.batchId,
      });
      attestation = { id: stored.id, rekorUuid: stored.rekorUuid, skipReason: stored.skipReason };
      d.events.attestationCreated('success');
    } catch (e) {
      d.events.attestationCreated('failure');
      throw e;
    }
    onAttested();
  }
  const rekorUuid = attestation?.rekorUuid ?? null;
  const skipReason =
    attestation === undefined
      ? (d.switches.batchAttestationOff ?? 'stored without a batch attestation')
      : rekorUuid === null
        ? (attestation.skipReason ?? d.switches.loggingOff ?? 'not transparency-logged')
        : null;
  const provenance = buildProvenance({
    provenanceId: f.provenanceId,
    callgraphId: f.callgraphId,
    batchId: f.batchId,
    ingestedAt: f.ingestedAt,
    receivedAt: f.receivedAt,
    tenantId: f.tenant,
    source: f.source,
    pipelineVersion: f.pipelineVersion,
    provenanceHash: f.provenanceHash,
    signerKeyId: attestation === undefined ? null : d.signerKeyId,
    rekorUuid,
    skipReason,
    factCount: f.factCount,
    factTypes: f.factTypes,
  });
  const bytes = provenanceBytes(provenance);
  let info: BlobInfo;
  try {
    info = await d.blobs.put(provenanceKey(d, f.tenant, f.batchId), bytes);
    d.events.casOperation('put', 'success');
  } catch (e) {
    d.events.casOperation('put', 'failure');
    throw e;
  }
  const done = await batches.complete({
    batchId: f.batchId,
    signerKeyId: provenance.signerKeyId,
    rekorUuid,
    skipReason,
    attestationId: attestation?.id ?? null,
    provenanceDigest: info.digest,
    provenanceSize: info.size,
    aggregates,
    now: d.clock.now().toISOString(),
  });
  if (!done) throw abandoned(f.batchId);
  d.events.provenanceRecorded();
  d.events.batchStored(f.factCount, f.tenant);
  for (const [type, n] of counts) if (n > 0) d.events.factsIngested(type, f.tenant, n);
  return provenance;
}
