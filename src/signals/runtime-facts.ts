import { Readable } from 'node:stream';
import { authorize, writeTenant, type Principal } from '../authz/principal.js';
import { parseDigest, type Digest } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import { parseUlid } from '../core/ids.js';
import { parseTenantId } from '../core/tenant.js';
import { zstdCompressStream } from '../core/zstd.js';
import { BatchesRepo, type BatchRow } from '../store/db/batches-repo.js';
import { ATTESTATIONS_KIND, contentKey, deleteBatchBlobs, openRawContent, readProvenanceBlob, RUNTIME_FACTS_KIND } from './batch-blobs.js';
import { finishBatch, type IngestedBody } from './batch-finish.js';
import type { SignalsDeps } from './deps.js';
import { readFactBatch } from './facts-input.js';
import { streamFacts } from './fact-stream.js';
import { readWhileStoring } from './ingest-pipe.js';
import { parseBatchAttestation } from './provenance.js';
import type { FactsForm, IngestFactsQuery, RuntimeFactProvenance, SignalsUseCases, StreamFactsQuery } from './types.js';

/**
 * The runtime-facts half of the Signals use cases (seed 000 §5, §6.2, §7.2).
 * An upload is written in the order that keeps a crash harmless: an intent
 * row, the fact blob (streamed while the body is validated and hashed), what
 * the body said, the batch attestation (a locker record), the provenance
 * record, and finally one transaction that marks the batch stored and adds
 * its aggregates: the acknowledgement. repair.ts finishes or removes intents
 * a crash left behind.
 */

const TEXT_RE = /^[^\p{Cc}]{1,256}$/u;

function parseText(value: unknown, field: string): string {
  if (typeof value !== 'string' || !TEXT_RE.test(value)) {
    throw new AttestryError('E_INVALID_INPUT', `${field}: expected 1-256 characters without control characters`);
  }
  return value;
}

const notFound = (batchId: string) => () => new AttestryError('E_NOT_FOUND', `no runtime-fact batch ${batchId}`);

type FactsUseCases = Pick<SignalsUseCases, 'ingestFacts' | 'getBatch' | 'getProvenance' | 'getAttestation' | 'streamFacts'>;

export class RuntimeFactsService implements FactsUseCases {
  readonly #deps: SignalsDeps;
  readonly #batches: BatchesRepo;

  constructor(deps: SignalsDeps) {
    this.#deps = deps;
    this.#batches = new BatchesRepo(deps.db, deps.dialect);
  }

  async ingestFacts(
    principal: Principal,
    query: IngestFactsQuery,
    body: AsyncIterable<Uint8Array>,
    form: FactsForm,
  ): Promise<{ provenance: RuntimeFactProvenance; created: boolean }> {
    const d = this.#deps;
    // §9 CAS.WriteEnabled: refused before a byte of the body is read.
    if (d.switches.writesOff !== undefined) throw new AttestryError('E_READ_ONLY', d.switches.writesOff);
    const tenant = writeTenant(principal, query.tenant === undefined ? undefined : parseTenantId(query.tenant));
    // §10 rule 4.
    if ((await d.tenants.get(tenant)) === undefined) {
      throw new AttestryError('E_NOT_FOUND', `unknown tenant "${tenant}" (add it with: attestry tenant add ${tenant})`);
    }
    authorize(principal, tenant, RUNTIME_FACTS_KIND, 'write', notFound('(new)'), d.kinds);
    const source = parseText(query.source, 'source');
    const pipelineVersion = parseText(query.pipelineVersion, 'pipeline_version');
    const expected = query.provenanceHash === undefined ? undefined : parseDigest(query.provenanceHash, 'provenance_hash');
    const callgraphId = query.callgraphId === undefined ? undefined : parseUlid(query.callgraphId, 'callgraph_id');
    if (callgraphId === undefined && form === 'ndjson') {
      throw new AttestryError(
        'E_INVALID_INPUT',
        'callgraph_id is required: name the stored callgraph this batch relates to (?callgraph_id=ULID)',
      );
    }
    if (callgraphId !== undefined) await this.#requireGraph(tenant, callgraphId);
    const receivedAt = (query.receivedAt ?? d.clock.now()).toISOString();
    const batchId = query.batchId === undefined ? d.ids.next() : parseUlid(query.batchId, 'batch_id');

    const intent = {
      batchId,
      provenanceId: d.ids.next(),
      tenant,
      callgraphId: callgraphId ?? null,
      source,
      pipelineVersion,
      receivedAt,
      form,
      now: d.clock.now().toISOString(),
    };
    if (!(await this.#batches.insertIntent(intent))) return this.#retry(batchId, tenant, callgraphId, body, form, expected);

    const progress = { attested: false };
    try {
      const ingested = await this.#readAndStore(tenant, batchId, body, form);
      if (expected !== undefined && ingested.provenanceHash !== expected) {
        throw new AttestryError(
          'E_DIGEST_MISMATCH',
          `provenance_hash ${expected} does not match the batch as received (${ingested.provenanceHash}); nothing stored`,
          { details: { expected, actual: ingested.provenanceHash } },
        );
      }
      const graph = this.#graphOf(callgraphId, ingested.callgraphId);
      if (callgraphId === undefined) await this.#requireGraph(tenant, graph);
      const provenance = await finishBatch(d, this.#batches, { ...intent, callgraphId: graph }, ingested, () => {
        progress.attested = true;
      });
      return { provenance, created: true };
    } catch (e) {
      // Before the attestation exists nothing of this batch was acknowledged
      // or logged: remove it, so a refused or failed upload leaves no trace.
      // After it, the batch is completed by repair (the log says it exists).
      if (!progress.attested) await this.#discard(tenant, batchId);
      throw e;
    }
  }

  /** Validates, hashes and aggregates the body while compressing it into the fact blob. */
  async #readAndStore(tenant: string, batchId: string, body: AsyncIterable<Uint8Array>, form: FactsForm): Promise<IngestedBody> {
    const d = this.#deps;
    const key = contentKey(d, tenant, batchId);
    const limits = { maxBytes: d.limits.maxBatchBytes, maxLineBytes: d.limits.maxLineBytes, maxFacts: d.limits.maxFactsPerBatch };
    const { read, stored } = await readWhileStoring(
      (onChunk) => readFactBatch(body, form, limits, onChunk),
      async (bytes) => {
        try {
          const info = await d.blobs.putStream(key, zstdCompressStream(bytes));
          d.events.casOperation('put', 'success');
          return info;
        } catch (e) {
          d.events.casOperation('put', 'failure');
          throw e;
        }
      },
    );
    return { ...read, content: stored };
  }

  #graphOf(fromQuery: string | undefined, fromBody: string | undefined): string {
    const body = fromBody === undefined ? undefined : parseUlid(fromBody, 'callgraphId (in the document)');
    if (fromQuery !== undefined && body !== undefined && fromQuery !== body) {
      throw new AttestryError(
        'E_INVALID_INPUT',
        `callgraph_id ${fromQuery} differs from the document's callgraphId ${body}; send one of them`,
      );
    }
    const graph = fromQuery ?? body;
    if (graph === undefined) {
      throw new AttestryError('E_INVALID_INPUT', 'callgraph_id is required: give ?callgraph_id=ULID or the document field callgraphId');
    }
    return graph;
  }

  async #requireGraph(tenant: string, graphId: string): Promise<void> {
    if (!(await this.#batches.callgraphExists(tenant, graphId))) {
      throw new AttestryError('E_NOT_FOUND', `callgraph ${graphId} is not a stored callgraph of tenant ${tenant}; upload it first`, {
        details: { callgraphId: graphId, tenant },
      });
    }
  }

  async #discard(tenant: string, batchId: string): Promise<void> {
    await deleteBatchBlobs(this.#deps, tenant, batchId);
    await this.#batches.deleteIntent(batchId).catch(() => undefined);
  }

  /** A batch id that is taken: the same content again is the stored record (200); anything else is a conflict. */
  async #retry(
    batchId: string,
    tenant: string,
    callgraphId: string | undefined,
    body: AsyncIterable<Uint8Array>,
    form: FactsForm,
    expected: Digest | undefined,
  ): Promise<{ provenance: RuntimeFactProvenance; created: boolean }> {
    const row = await this.#batches.get(batchId);
    // Another tenant's batch: say only that the id is taken.
    if (row === undefined || row.tenant !== tenant) {
      throw new AttestryError('E_CONFLICT', `batch_id ${batchId} already names another batch; choose a new ULID`);
    }
    if (row.state === 'writing') {
      throw new AttestryError(
        'E_UNAVAILABLE',
        `batch ${batchId} is still being written (or awaits repair after a crash); send it again in a minute`,
        { details: { batchId, retryable: true } },
      );
    }
    const d = this.#deps;
    const limits = { maxBytes: d.limits.maxBatchBytes, maxLineBytes: d.limits.maxLineBytes, maxFacts: d.limits.maxFactsPerBatch };
    const again = await readFactBatch(body, form, limits);
    if (expected !== undefined && again.provenanceHash !== expected) {
      throw new AttestryError(
        'E_DIGEST_MISMATCH',
        `provenance_hash ${expected} does not match the batch as received (${again.provenanceHash})`,
        {
          details: { expected, actual: again.provenanceHash },
        },
      );
    }
    const graph = callgraphId ?? (again.callgraphId === undefined ? undefined : parseUlid(again.callgraphId, 'callgraphId'));
    if (again.provenanceHash !== row.provenanceHash || (graph !== undefined && graph !== row.callgraphId)) {
      throw new AttestryError(
        'E_CONFLICT',
        `batch ${batchId} is stored with other content (provenanceHash ${row.provenanceHash}, callgraph ${row.callgraphId ?? '-'}); a batch_id names one batch`,
        { details: { batchId, stored: row.provenanceHash, received: again.provenanceHash } },
      );
    }
    return { provenance: await readProvenanceBlob(d, row), created: false };
  }

  /** A stored batch the principal may act on for `kind`; 404 for other tenants' and unacknowledged ones. */
  async #stored(principal: Principal, rawId: string, kind: string): Promise<BatchRow> {
    const batchId = parseUlid(rawId, 'batchId');
    const row = await this.#batches.get(batchId);
    if (row?.state !== 'stored') throw notFound(batchId)();
    authorize(principal, row.tenant, kind, 'read', notFound(batchId), this.#deps.kinds);
    return row;
  }

  async getBatch(
    principal: Principal,
    batchId: string,
  ): Promise<{ provenance: RuntimeFactProvenance; content: Readable; form: FactsForm }> {
    const row = await this.#stored(principal, batchId, RUNTIME_FACTS_KIND);
    const provenance = await readProvenanceBlob(this.#deps, row);
    const raw = await openRawContent(this.#deps, row);
    return { provenance, content: Readable.from(raw, { objectMode: false }), form: row.form };
  }

  async getProvenance(principal: Principal, batchId: string): Promise<RuntimeFactProvenance> {
    return readProvenanceBlob(this.#deps, await this.#stored(principal, batchId, RUNTIME_FACTS_KIND));
  }

  async getAttestation(principal: Principal, batchId: string): Promise<Buffer> {
    const row = await this.#stored(principal, batchId, ATTESTATIONS_KIND);
    if (row.attestationId === null) {
      throw new AttestryError('E_NOT_FOUND', `batch ${row.batchId} has no attestation: ${row.skipReason ?? 'it was stored without one'}`, {
        details: { batchId: row.batchId, reason: row.skipReason },
      });
    }
    let bytes: Buffer;
    try {
      ({ bytes } = await this.#deps.locker.get(principal, row.attestationId));
    } catch (e) {
      // The row says the attestation was stored: its absence is damage, not "no such batch".
      if (e instanceof AttestryError && e.code === 'E_NOT_FOUND') {
        throw new AttestryError('E_INTEGRITY', `attestation ${row.attestationId} of batch ${row.batchId} is missing from the locker`, {
          cause: e,
        });
      }
      throw e;
    }
    // §10 rule 8: what is served must be a DSSE envelope attesting this batch.
    try {
      const { predicate } = parseBatchAttestation(bytes);
      if (predicate.batchId !== row.batchId || predicate.provenanceHash !== row.provenanceHash) {
        throw new AttestryError('E_SIGNATURE_FORMAT', `it attests batch ${predicate.batchId} with ${predicate.provenanceHash}`);
      }
    } catch (e) {
      throw new AttestryError('E_INTEGRITY', `stored attestation of batch ${row.batchId} is not valid: ${(e as Error).message}`, {
        cause: e,
      });
    }
    return bytes;
  }

  streamFacts(principal: Principal, query: StreamFactsQuery): Promise<{ next: string | undefined; body: Readable }> {
    return streamFacts(this.#deps, this.#batches, principal, query);
  }
}
