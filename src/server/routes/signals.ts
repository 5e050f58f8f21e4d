import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../authz/principal.js';
import { AttestryError } from '../../core/errors.js';
import type { SignalsLimits } from '../../signals/deps.js';
import type { SignalsUseCases } from '../../signals/types.js';
import type { AuthHook } from '../auth.js';
import { routeSchema } from '../route-schema.js';
import { ErrorReplySchema } from '../schemas.js';
import {
  bodyFinished,
  bodyForm,
  isUnsupportedEncoding,
  readBody,
  SIGNALS_ACCEPTS,
  streamBodyParsers,
  type BodyLimit,
} from './signals-body.js';
import {
  BatchIdParams,
  CallgraphManifestReply,
  FindByPurlQuery,
  FindByPurlReply,
  flag,
  GraphIdParams,
  IngestFactsQuery,
  pageSize,
  RuntimeFactProvenanceReply,
  StoreCallgraphQuery,
  StreamFactsQuery,
  type BatchIdParamsT,
  type FindByPurlQueryT,
  type GraphIdParamsT,
  type IngestFactsQueryT,
  type StoreCallgraphQueryT,
  type StreamFactsQueryT,
} from './signals-schemas.js';

/** The Signals limits the routes need: how large an upload may be after (and before) transfer decoding. */
export type SignalsRouteLimits = Pick<SignalsLimits, 'maxCallgraphBytes' | 'maxBatchBytes'>;

const NDJSON = 'application/x-ndjson';
const DSSE_JSON = 'application/json';
const errors = { 400: ErrorReplySchema, 401: ErrorReplySchema, 403: ErrorReplySchema, 404: ErrorReplySchema };
const writeErrors = {
  ...errors,
  409: ErrorReplySchema,
  413: ErrorReplySchema,
  415: ErrorReplySchema,
  422: ErrorReplySchema,
  503: ErrorReplySchema,
};
const readErrors = { ...errors, 500: ErrorReplySchema };
const common = { tags: ['signals'], security: [{ bearer: [] }] };

const principalOf = (request: FastifyRequest): Principal => {
  // requireAuth runs on every route here and sets it or refuses.
  if (request.principal === undefined) throw new AttestryError('E_UNAUTHENTICATED', 'no bearer token');
  return request.principal;
};

/** A sha256:<hex> digest as an RFC 9530-style `digest` header value, when it is one. */
function digestHeader(digest: string): string | undefined {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  return m === null ? undefined : `sha-256=${Buffer.from(m[1]!, 'hex').toString('base64')}`;
}

/**
 * Streams a body. Fastify sends headers with the first chunk; a stream that
 * fails later (E_INTEGRITY when the stored bytes no longer match their
 * digest) destroys the connection, so the client sees a broken transfer
 * (no final chunk), never a complete-looking 200.
 */
function sendStream(reply: FastifyReply, contentType: string, body: Readable): FastifyReply {
  return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
}

/**
 * Seed 000 §6 over HTTP. Every route needs a bearer token; what the token
 * may do (§3.2) and the validation rules (§10) are the use cases'. Uploads
 * are read as streams in a plugin scope of their own whose parsers hand the
 * request stream over unread, so Server.BodyLimitBytes (the JSON API's
 * limit) does not apply; `limits` does, before and after decoding.
 */
export async function signalsRoutes(
  app: FastifyInstance,
  useCases: SignalsUseCases,
  requireAuth: AuthHook,
  limits: SignalsRouteLimits,
): Promise<void> {
  await app.register(async (scope) => {
    streamBodyParsers(scope);
    // A reply sent before the upload was read to its end (a refusal): close the
    // connection rather than let Node read and discard the rest of a large body.
    scope.addHook('onSend', async (request, reply) => {
      if (reply.statusCode >= 400 && !bodyFinished(request)) void reply.header('connection', 'close');
    });
    callgraphRoutes(scope, useCases, requireAuth, limits);
    runtimeFactRoutes(scope, useCases, requireAuth, limits);
  });
}

function callgraphRoutes(app: FastifyInstance, useCases: SignalsUseCases, requireAuth: AuthHook, limits: SignalsRouteLimits): void {
  app.post<{ Querystring: StoreCallgraphQueryT }>(
    '/signals/callgraphs',
    {
      onRequest: requireAuth,
      config: { accepts: SIGNALS_ACCEPTS },
      schema: {
        ...common,
        summary:
          'Store a callgraph (NDJSON node/edge lines or a stella.callgraph.v1 JSON document, streamed; Content-Encoding gzip or zstd) and sign its manifest',
        querystring: routeSchema(StoreCallgraphQuery),
        response: { 200: routeSchema(CallgraphManifestReply), 201: routeSchema(CallgraphManifestReply), ...writeErrors },
      },
    },
    async (request, reply) => {
      const form = bodyForm(request);
      const q = request.query;
      const body = upload(request, reply, 'the callgraph', { maxBytes: limits.maxCallgraphBytes, name: 'the Signals callgraph limit' });
      if (body === undefined) return reply;
      const { manifest, created } = await useCases.storeCallgraph(
        principalOf(request),
        { tenant: q.tenant, language: q.language, source: q.source, componentPurl: q.componentPurl, graphId: q.graph_id, digest: q.digest },
        body,
        form,
      );
      void reply.code(created ? 201 : 200).header('location', `/signals/callgraphs/${manifest.graphId}`);
      return manifest;
    },
  );

  app.get<{ Params: GraphIdParamsT }>(
    '/signals/callgraphs/:graphId',
    {
      onRequest: requireAuth,
      schema: {
        ...common,
        summary: 'The callgraph as normalised NDJSON (nodes by id, then edges by from, to), streamed and digest-checked',
        params: routeSchema(GraphIdParams),
        response: readErrors,
      },
    },
    async (request, reply) => {
      const { manifest, content } = await useCases.getCallgraph(principalOf(request), request.params.graphId);
      const digest = digestHeader(manifest.digest);
      if (digest !== undefined) void reply.header('digest', digest);
      return sendStream(reply, NDJSON, content);
    },
  );

  app.get<{ Params: GraphIdParamsT }>(
    '/signals/callgraphs/:graphId/manifest',
    {
      onRequest: requireAuth,
      schema: {
        ...common,
        summary: 'The CallgraphManifest (seed 000 §4.2), its signature checked',
        params: routeSchema(GraphIdParams),
        response: { 200: routeSchema(CallgraphManifestReply), ...readErrors },
      },
    },
    async (request) => useCases.getManifest(principalOf(request), request.params.graphId),
  );

  app.get<{ Params: GraphIdParamsT }>(
    '/signals/callgraphs/:graphId/manifest.dsse',
    {
      onRequest: requireAuth,
      schema: {
        ...common,
        summary: "The manifest's DSSE envelope (payload: RFC 8785 JSON of the manifest without signature, rekorUuid, skipReason)",
        params: routeSchema(GraphIdParams),
        response: readErrors,
      },
    },
    async (request, reply) => {
      const bytes = await useCases.getManifestEnvelope(principalOf(request), request.params.graphId);
      return reply.header('content-type', DSSE_JSON).send(bytes);
    },
  );

  app.get<{ Params: { '*': string }; Querystring: FindByPurlQueryT }>(
    '/signals/callgraphs/by-purl/*',
    {
      onRequest: requireAuth,
      schema: {
        ...common,
        summary:
          'Manifests of a component by Package URL (URL-encoded, or with its slashes as they are), newest first; matches with and without the version',
        querystring: routeSchema(FindByPurlQuery),
        response: { 200: routeSchema(FindByPurlReply), ...errors },
      },
    },
    async (request) => {
      const purl = request.params['*'];
      if (purl === '')
        throw new AttestryError('E_INVALID_INPUT', 'give the Package URL after by-purl/, e.g. by-purl/pkg%3Anpm%2Flodash%404.17.21');
      const q = request.query;
      const found = await useCases.findByPurl(principalOf(request), purl, { tenant: q.tenant, limit: pageSize(q.limit), cursor: q.cursor });
      return { items: found.items, ...(found.next === undefined ? {} : { next: found.next }) };
    },
  );
}

function runtimeFactRoutes(app: FastifyInstance, useCases: SignalsUseCases, requireAuth: AuthHook, limits: SignalsRouteLimits): void {
  const ingest = async (request: FastifyRequest<{ Querystring: IngestFactsQueryT }>, reply: FastifyReply) => {
    const form = bodyForm(request);
    const q = request.query;
    let receivedAt: Date | undefined;
    if (q.received_at !== undefined) {
      receivedAt = new Date(q.received_at);
      if (Number.isNaN(receivedAt.getTime()))
        throw new AttestryError('E_INVALID_INPUT', `received_at: "${q.received_at.slice(0, 64)}" is not an ISO 8601 date-time`);
    }
    const body = upload(request, reply, 'the fact batch', { maxBytes: limits.maxBatchBytes, name: 'the Signals batch limit' });
    if (body === undefined) return reply;
    const { provenance, created } = await useCases.ingestFacts(
      principalOf(request),
      {
        tenant: q.tenant,
        callgraphId: q.callgraph_id,
        source: q.source,
        pipelineVersion: q.pipeline_version,
        batchId: q.batch_id,
        provenanceHash: q.provenance_hash,
        receivedAt,
      },
      body,
      form,
    );
    void reply.code(created ? 201 : 200).header('location', `/signals/runtime-facts/${provenance.batchId}/provenance`);
    return provenance;
  };
  const ingestSchema = (summary: string) => ({
    ...common,
    summary,
    querystring: routeSchema(IngestFactsQuery),
    response: { 200: routeSchema(RuntimeFactProvenanceReply), 201: routeSchema(RuntimeFactProvenanceReply), ...writeErrors },
  });
  app.post<{ Querystring: IngestFactsQueryT }>(
    '/signals/runtime-facts',
    {
      onRequest: requireAuth,
      config: { accepts: SIGNALS_ACCEPTS },
      schema: ingestSchema(
        'Ingest a runtime-fact batch (NDJSON, plain or Content-Encoding gzip/zstd, or a {subject, callgraphId, events} JSON document): stored, hashed, attested and logged',
      ),
    },
    ingest,
  );
  app.post<{ Querystring: IngestFactsQueryT }>(
    '/signals/runtime-facts/ndjson',
    {
      onRequest: requireAuth,
      config: { accepts: SIGNALS_ACCEPTS },
      schema: ingestSchema('As POST /signals/runtime-facts: the path StellaOps runtime agents post NDJSON to'),
    },
    ingest,
  );

  // Registered beside /:batchId; the router prefers the static segment, so `ndjson` is never taken as a batch id.
  app.get<{ Querystring: StreamFactsQueryT }>(
    '/signals/runtime-facts/ndjson',
    {
      onRequest: requireAuth,
      schema: {
        ...common,
        summary:
          'Stream facts as NDJSON (seed 000 §6.3 filters), backpressured; with include_provenance each line carries provenance_hash and callgraph_id. X-Next-Cursor and Link rel=next name the next page',
        querystring: routeSchema(StreamFactsQuery),
        response: readErrors,
      },
    },
    async (request, reply) => {
      const q = request.query;
      const { next, body } = await useCases.streamFacts(principalOf(request), {
        tenant: q.tenant,
        callgraphId: q.callgraph_id,
        since: q.since,
        includeProvenance: flag(q.include_provenance),
        cursor: q.cursor,
        limit: pageSize(q.limit),
      });
      if (next !== undefined) void reply.header('x-next-cursor', next).header('link', `<${nextPageUrl(request.url, next)}>; rel="next"`);
      return sendStream(reply, NDJSON, body);
    },
  );

  app.get<{ Params: BatchIdParamsT }>(
    '/signals/runtime-facts/:batchId',
    {
      onRequest: requireAuth,
      schema: {
        ...common,
        summary: 'The batch exactly as received (after transfer decoding), streamed and checked against its provenanceHash',
        params: routeSchema(BatchIdParams),
        response: readErrors,
      },
    },
    async (request, reply) => {
      const { provenance, content, form } = await useCases.getBatch(principalOf(request), request.params.batchId);
      const digest = digestHeader(provenance.provenanceHash);
      if (digest !== undefined) void reply.header('digest', digest);
      return sendStream(reply, form === 'ndjson' ? NDJSON : 'application/json', content);
    },
  );

  app.get<{ Params: BatchIdParamsT }>(
    '/signals/runtime-facts/:batchId/provenance',
    {
      onRequest: requireAuth,
      schema: {
        ...common,
        summary: 'The RuntimeFactProvenance record of a batch (seed 000 §5.1)',
        params: routeSchema(BatchIdParams),
        response: { 200: routeSchema(RuntimeFactProvenanceReply), ...readErrors },
      },
    },
    async (request) => useCases.getProvenance(principalOf(request), request.params.batchId),
  );

  app.get<{ Params: BatchIdParamsT }>(
    '/signals/runtime-facts/:batchId/attestation',
    {
      onRequest: requireAuth,
      schema: {
        ...common,
        summary:
          'The batch attestation: a DSSE envelope of an in-toto Statement (predicateType https://stella.ops/attestation/runtime-facts/v1)',
        params: routeSchema(BatchIdParams),
        response: readErrors,
      },
    },
    async (request, reply) => {
      const bytes = await useCases.getAttestation(principalOf(request), request.params.batchId);
      return reply.header('content-type', DSSE_JSON).send(bytes);
    },
  );
}

/** The upload's decoded body; undefined once an unsupported Content-Encoding has been answered 415. */
function upload(request: FastifyRequest, reply: FastifyReply, what: string, limit: BodyLimit): AsyncIterable<Uint8Array> | undefined {
  try {
    return readBody(request, what, limit);
  } catch (e) {
    if (!isUnsupportedEncoding(e)) throw e;
    void reply.code(415).send(e.toJSON());
    return undefined;
  }
}

/** The request's own path and query with `cursor` set to the next page's. */
function nextPageUrl(requestUrl: string, next: string): string {
  const url = new URL(requestUrl, 'http://placeholder');
  url.searchParams.set('cursor', next);
  return `${url.pathname}${url.search}`;
}
