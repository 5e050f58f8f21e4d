import type { Readable } from 'node:stream';
import type { Principal } from '../authz/principal.js';

/**
 * Seed 000's records as they go over the wire, field names exactly as in
 * §4.2 and §5.1 (camelCase JSON of the C# records). `skipReason` on the
 * manifest is this product's addition: why a manifest has no log entry or
 * no signature (the issue asks for it in air-gapped installs).
 */
export interface CallgraphManifest {
  readonly graphId: string;
  readonly digest: string;
  readonly language: string;
  readonly source: string;
  readonly createdAt: string;
  readonly tenantId: string;
  readonly componentPurl: string;
  readonly entryPoints: readonly string[];
  readonly nodeCount: number;
  readonly edgeCount: number;
  readonly signerKeyId: string | null;
  readonly signature: string | null;
  readonly rekorUuid: string | null;
  readonly skipReason?: string | undefined;
}

/** Seed 000 §5.1. */
export interface RuntimeFactProvenance {
  readonly provenanceId: string;
  readonly callgraphId: string;
  readonly batchId: string;
  readonly ingestedAt: string;
  readonly receivedAt: string;
  readonly tenantId: string;
  readonly source: string;
  readonly pipelineVersion: string;
  readonly provenanceHash: string;
  readonly signerKeyId: string | null;
  readonly rekorUuid: string | null;
  readonly skipReason: string | null;
  readonly factCount: number;
  readonly factTypes: readonly string[];
}

/** Seed 000 §7.2: the predicate of a batch attestation (the in-toto Statement carries `predicateType`). */
export interface RuntimeFactAttestationPredicate {
  readonly batchId: string;
  readonly provenanceHash: string;
  readonly factCount: number;
  readonly timestamp: string;
  /** Callgraph ids the batch relates to. */
  readonly subjects: readonly string[];
}

export const RUNTIME_FACTS_PREDICATE_TYPE = 'https://stella.ops/attestation/runtime-facts/v1';
/** DSSE payload type of a signed callgraph manifest (payload: RFC 8785 JSON of the manifest without signature, rekorUuid, skipReason). */
export const CALLGRAPH_MANIFEST_PAYLOAD_TYPE = 'application/vnd.attestry.callgraph-manifest+json';

/** How an upload's body is laid out. */
export type CallgraphForm = 'ndjson' | 'json';
export type FactsForm = 'ndjson' | 'json';

export interface StoreCallgraphQuery {
  readonly tenant?: string | undefined;
  readonly language: string;
  readonly source: string;
  readonly componentPurl: string;
  /** A graph id the uploader chose (ULID), so retries are idempotent. */
  readonly graphId?: string | undefined;
  /** The digest the uploader computed over the body as sent; a mismatch is refused. */
  readonly digest?: string | undefined;
}

export interface IngestFactsQuery {
  readonly tenant?: string | undefined;
  /** Required for NDJSON; the JSON document form may carry `callgraphId` itself. */
  readonly callgraphId?: string | undefined;
  readonly source: string;
  readonly pipelineVersion: string;
  /** A batch id the agent chose (ULID): re-sending the same content returns the same record. */
  readonly batchId?: string | undefined;
  /** The hash the agent computed over the bytes it sent; a mismatch is refused. */
  readonly provenanceHash?: string | undefined;
  /** When the agent says it collected the batch; defaults to the time the request arrived. */
  readonly receivedAt?: Date | undefined;
}

export interface StreamFactsQuery {
  readonly tenant?: string | undefined;
  readonly callgraphId?: string | undefined;
  /** ISO-8601: only facts observed after it. */
  readonly since?: string | undefined;
  readonly includeProvenance: boolean;
  readonly cursor?: string | undefined;
  /** Facts per page (a page ends at a batch boundary once reached); 0 = no limit. */
  readonly limit?: number | undefined;
}

export interface SignalsUseCases {
  storeCallgraph(
    principal: Principal,
    query: StoreCallgraphQuery,
    body: AsyncIterable<Uint8Array>,
    form: CallgraphForm,
  ): Promise<{ manifest: CallgraphManifest; created: boolean }>;
  /** The normalised graph as NDJSON, decompressed and digest-checked while it streams. */
  getCallgraph(principal: Principal, graphId: string): Promise<{ manifest: CallgraphManifest; content: Readable }>;
  getManifest(principal: Principal, graphId: string): Promise<CallgraphManifest>;
  /** The manifest's DSSE envelope bytes. */
  getManifestEnvelope(principal: Principal, graphId: string): Promise<Buffer>;
  /** Newest first; matches the PURL with and without its version. */
  findByPurl(
    principal: Principal,
    purl: string,
    query: { tenant?: string | undefined; limit?: number | undefined; cursor?: string | undefined },
  ): Promise<{ items: CallgraphManifest[]; next: string | undefined }>;
  /** `body` is already transfer-decoded (gzip/zstd undone). */
  ingestFacts(
    principal: Principal,
    query: IngestFactsQuery,
    body: AsyncIterable<Uint8Array>,
    form: FactsForm,
  ): Promise<{ provenance: RuntimeFactProvenance; created: boolean }>;
  /** The raw batch bytes as received, decompressed and hash-checked while they stream. */
  getBatch(principal: Principal, batchId: string): Promise<{ provenance: RuntimeFactProvenance; content: Readable; form: FactsForm }>;
  getProvenance(principal: Principal, batchId: string): Promise<RuntimeFactProvenance>;
  /** The batch attestation's DSSE envelope bytes. */
  getAttestation(principal: Principal, batchId: string): Promise<Buffer>;
  /** NDJSON of facts, one per line, backpressured; `next` resumes after this page. */
  streamFacts(principal: Principal, query: StreamFactsQuery): Promise<{ next: string | undefined; body: Readable }>;
}
