import { z } from 'zod';

/**
 * The wire shapes of the Signals routes (seed 000 §4.2, §5.1, §6.3), for
 * query validation, reply serialisation and the OpenAPI document. Query
 * strings are text and the service does not coerce types, so numbers and
 * booleans are patterns here and are read by the route. What a value means
 * (a ULID, a known language, a valid PURL, an existing tenant) is checked by
 * the use cases, which own those rules (§10) and their messages.
 */

const text = (max: number) => z.string().min(1).max(max);
const Id = z.string().max(64).describe('ULID');
const Flag = z.enum(['true', 'false', '1', '0']);
const PageSize = z.string().regex(/^(?:[1-9][0-9]{0,5})$/);
/** Facts per stream page: 0 (the default) streams everything in one response. */
const FactPageSize = z.string().regex(/^(?:0|[1-9][0-9]{0,9})$/);

export const CallgraphManifestReply = z.object({
  graphId: z.string(),
  digest: z.string(),
  language: z.string(),
  source: z.string(),
  createdAt: z.string(),
  tenantId: z.string(),
  componentPurl: z.string(),
  entryPoints: z.array(z.string()),
  nodeCount: z.int(),
  edgeCount: z.int(),
  signerKeyId: z.string().nullable(),
  signature: z.string().nullable().describe('base64 signature of the manifest DSSE envelope (GET …/manifest.dsse)'),
  rekorUuid: z.string().nullable(),
  skipReason: z.string().describe('why the manifest is unsigned or not logged').optional(),
});

export const RuntimeFactProvenanceReply = z.object({
  provenanceId: z.string(),
  callgraphId: z.string(),
  batchId: z.string(),
  ingestedAt: z.string(),
  receivedAt: z.string(),
  tenantId: z.string(),
  source: z.string(),
  pipelineVersion: z.string(),
  provenanceHash: z.string().describe('sha256: of the batch bytes as received, after transfer decoding'),
  signerKeyId: z.string().nullable(),
  rekorUuid: z.string().nullable(),
  skipReason: z.string().nullable(),
  factCount: z.int(),
  factTypes: z.array(z.string()),
});

export const StoreCallgraphQuery = z.object({
  tenant: text(128).describe("tenant to store into; defaults to the token's only tenant").optional(),
  language: text(64).describe('language identifier (docs/signals.md lists them), e.g. java, javascript, python'),
  source: text(256).describe('what produced the graph (scanner, analyzer, runtime agent)'),
  componentPurl: text(2048).describe('Package URL of the component, URL-encoded'),
  graph_id: Id.describe('a graph id (ULID) chosen by the uploader, so a retry stores nothing twice').optional(),
  digest: z.string().max(80).describe('sha256:<hex> of the body as sent; a mismatch is refused (422)').optional(),
});

export const IngestFactsQuery = z.object({
  tenant: text(128).describe("tenant to store into; defaults to the token's only tenant").optional(),
  callgraph_id: Id.describe('the stored callgraph the batch relates to (the JSON document form may name it itself)').optional(),
  source: text(256).describe('source host or service'),
  pipeline_version: text(256).describe('pipeline version (git SHA or build id)'),
  batch_id: Id.describe(
    'a batch id (ULID) chosen by the agent: the same content again returns the same record (200), other content 409',
  ).optional(),
  provenance_hash: z
    .string()
    .max(80)
    .describe('sha256:<hex> the agent computed over the bytes it sent; a mismatch is refused (422)')
    .optional(),
  received_at: z.string().max(64).describe('ISO 8601: when the agent collected the batch (default: when the request arrived)').optional(),
});

export const FindByPurlQuery = z.object({
  tenant: text(128).optional(),
  limit: PageSize.describe('page size (default set by the service)').optional(),
  cursor: z.string().max(512).describe('the `next` of the previous page').optional(),
});

export const StreamFactsQuery = z.object({
  tenant: text(128).describe('only this tenant').optional(),
  callgraph_id: Id.describe('only batches of this callgraph').optional(),
  since: z.string().max(64).describe('ISO 8601: only facts observed after it').optional(),
  include_provenance: Flag.describe('each line carries provenance_hash and callgraph_id').optional(),
  cursor: z.string().max(512).describe('resume after the page that returned it (X-Next-Cursor)').optional(),
  limit: FactPageSize.describe('facts per page (a page ends at a batch boundary once reached); 0 or none: no limit').optional(),
});

export const GraphIdParams = z.object({ graphId: Id });
export const BatchIdParams = z.object({ batchId: Id });

export const FindByPurlReply = z.object({ items: z.array(CallgraphManifestReply), next: z.string().optional() });

export type StoreCallgraphQueryT = z.input<typeof StoreCallgraphQuery>;
export type IngestFactsQueryT = z.input<typeof IngestFactsQuery>;
export type FindByPurlQueryT = z.input<typeof FindByPurlQuery>;
export type StreamFactsQueryT = z.input<typeof StreamFactsQuery>;
export type GraphIdParamsT = z.input<typeof GraphIdParams>;
export type BatchIdParamsT = z.input<typeof BatchIdParams>;

/** `true`/`1` → true; absent, `false`/`0` → false. */
export function flag(value: string | undefined): boolean {
  return value === 'true' || value === '1';
}

export function pageSize(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}
