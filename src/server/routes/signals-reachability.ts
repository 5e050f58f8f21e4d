import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../authz/principal.js';
import { checkJsonLimits, parseJsonBounded } from '../../core/bounded-json.js';
import { AttestryError } from '../../core/errors.js';
import { openVexOf } from '../../signals/reach-openvex.js';
import { MAX_OSV_BYTES, MAX_OSV_DEPTH, parseOsvAdvisory } from '../../signals/reach-osv.js';
import { parseWindow } from '../../signals/reach-runtime.js';
import type { ReachabilityQuery, ReachabilityResult, ReachabilityUseCases, RuntimeThresholds } from '../../signals/reach-types.js';
import type { AuthHook } from '../auth.js';
import { routeSchema } from '../route-schema.js';
import { ErrorReplySchema } from '../schemas.js';
import {
  AskReachabilityBody,
  AskReachabilityQuery,
  BODY_FIELDS,
  HistoryQuery,
  HistoryReply,
  OpenVexReply,
  ReachabilityAnswerReply,
  ReachabilityResultReply,
  VerdictParams,
  VerdictReply,
  type AskReachabilityBodyT,
  type AskReachabilityQueryT,
  type HistoryQueryT,
  type VerdictParamsT,
} from './signals-reachability-schemas.js';
import { z } from 'zod';

/** What the routes take from Signals.Reachability (app.ts passes the config's). */
export interface ReachabilityRouteOptions {
  /** OpenVEX `author` (Signals.Reachability.VexAuthor). */
  readonly vexAuthor: string;
  /** Signals.Reachability.MaxSymbolsPerQuery: more symbols in one question are refused, naming the parameter. */
  readonly maxSymbols: number;
}

export const DEFAULT_REACHABILITY_ROUTE_OPTIONS: ReachabilityRouteOptions = { vexAuthor: 'attestry', maxSymbols: 1000 };

/** A POST body: 1 MiB of JSON at most; an OSV advisory in it may nest MAX_OSV_DEPTH (32) levels (real ones: 5 or 6). */
export const MAX_BODY_BYTES = MAX_OSV_BYTES;
export const MAX_BODY_DEPTH = MAX_OSV_DEPTH + 1;

const JSON_TYPE = 'application/json';
const errors = { 400: ErrorReplySchema, 401: ErrorReplySchema, 403: ErrorReplySchema, 404: ErrorReplySchema, 500: ErrorReplySchema };
const askErrors = { ...errors, 413: ErrorReplySchema, 415: ErrorReplySchema, 503: ErrorReplySchema };
const common = { tags: ['signals', 'reachability'], security: [{ bearer: [] }] };

const principalOf = (request: FastifyRequest): Principal => {
  // requireAuth runs on every route here and sets it or refuses.
  if (request.principal === undefined) throw new AttestryError('E_UNAUTHENTICATED', 'no bearer token');
  return request.principal;
};

const invalid = (message: string): AttestryError => new AttestryError('E_INVALID_INPUT', message);

/**
 * Replies are the use cases' objects as they are: serialised here, so a
 * field the documented schema does not list is never dropped on the way out
 * (fast-json-stringify keeps only what a schema names). A Buffer is sent as is.
 */
function sendJson(reply: FastifyReply, value: unknown): FastifyReply {
  return reply
    .header('content-type', JSON_TYPE)
    .header('cache-control', 'no-store')
    .send(Buffer.from(JSON.stringify(value), 'utf8'));
}

/** The one graph the question is about: exactly one of the two ways to name it. */
function graphOf(
  callgraphId: string | undefined,
  purl: string | undefined,
  names: { id: string; purl: string },
): { callgraphId?: string; purl?: string } {
  if (callgraphId !== undefined && purl !== undefined)
    throw invalid(`give one of ${names.id} and ${names.purl}, not both: ${names.purl} picks the newest callgraph of a component`);
  if (callgraphId !== undefined) return { callgraphId };
  if (purl !== undefined) return { purl };
  throw invalid(`give ${names.id} (a stored callgraph) or ${names.purl} (a component's Package URL: its newest callgraph is used)`);
}

function thresholdsOf(minBatches: number | undefined, minSources: number | undefined): Partial<RuntimeThresholds> | undefined {
  if (minBatches === undefined && minSources === undefined) return undefined;
  return { ...(minBatches === undefined ? {} : { minBatches }), ...(minSources === undefined ? {} : { minSources }) };
}

/**
 * GET/POST /signals/reachability, /signals/reachability/history and
 * /signals/reachability/verdicts/{id} (docs/reachability.md). Every route
 * needs a bearer token; what it may do (read the answers, attest them) and
 * which callgraphs it sees are the use cases'. The routes read the question,
 * check what can be checked without the store (one graph, at least one and
 * at most MaxSymbolsPerQuery symbols, the window), and shape the reply: the
 * answer object for one GET symbol, `{…, results}` otherwise, or OpenVEX.
 */
export async function reachabilityRoutes(
  app: FastifyInstance,
  useCases: ReachabilityUseCases,
  requireAuth: AuthHook,
  options: ReachabilityRouteOptions = DEFAULT_REACHABILITY_ROUTE_OPTIONS,
): Promise<void> {
  const tooMany = (name: string, count: number): AttestryError =>
    invalid(
      `${name}: ${count} symbols asked, at most ${options.maxSymbols} per question (Signals.Reachability.MaxSymbolsPerQuery); split the list`,
    );

  /** OpenVEX of a result; the advisory's package PURLs become subcomponents and its aliases the vulnerability's. */
  const openVex = (result: ReachabilityResult, osv: unknown) => {
    if (osv === undefined) return openVexOf(result, { author: options.vexAuthor });
    const { packagePurls, aliases } = parseOsvAdvisory(osv, options.maxSymbols);
    return openVexOf(result, { author: options.vexAuthor, packagePurls, aliases });
  };

  app.get<{ Querystring: AskReachabilityQueryT }>(
    '/signals/reachability',
    {
      onRequest: requireAuth,
      schema: {
        ...common,
        summary:
          'Is each symbol reachable from an entry point of the callgraph, and was it seen running? One symbol: the answer (state, path, runtime, evidence); several: {results}; format=openvex: an OpenVEX 0.2.0 document. attest=true stores each answer as a signed, logged verdict',
        querystring: routeSchema(AskReachabilityQuery),
        response: {
          200: routeSchema(z.union([ReachabilityAnswerReply, ReachabilityResultReply, OpenVexReply])),
          ...errors,
          503: ErrorReplySchema,
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const graph = graphOf(q.callgraph_id, q.purl, { id: 'callgraph_id', purl: 'purl' });
      const symbols = q.symbol === undefined ? [] : typeof q.symbol === 'string' ? [q.symbol] : q.symbol;
      if (symbols.length === 0) throw invalid('symbol: give at least one (symbol=S, repeated for several)');
      if (symbols.length > options.maxSymbols) throw tooMany('symbol', symbols.length);
      const query: ReachabilityQuery = {
        tenant: q.tenant,
        ...graph,
        symbols,
        vulnerability: q.vulnerability,
        window: parseWindow(q.since, q.until),
        thresholds: thresholdsOf(
          q.min_batches === undefined ? undefined : Number(q.min_batches),
          q.min_sources === undefined ? undefined : Number(q.min_sources),
        ),
        attest: q.attest === 'true' || q.attest === '1',
      };
      const result = await useCases.answer(principalOf(request), query);
      if (q.format === 'openvex') return sendJson(reply, openVex(result, undefined));
      // One `symbol` parameter: the answer itself (the acceptance interface); several: all of them.
      return sendJson(reply, typeof q.symbol === 'string' && result.results.length === 1 ? result.results[0] : result);
    },
  );

  app.post<{ Body: AskReachabilityBodyT }>(
    '/signals/reachability',
    {
      onRequest: requireAuth,
      bodyLimit: MAX_BODY_BYTES,
      schema: {
        ...common,
        summary:
          'As GET /signals/reachability, the question as JSON: symbols and/or an OSV advisory (its symbols resolved against the graph), callgraphId or the component purl. Always {results} (or OpenVEX)',
        body: routeSchema(AskReachabilityBody),
        response: { 200: routeSchema(z.union([ReachabilityResultReply, OpenVexReply])), ...askErrors },
      },
    },
    async (request, reply) => {
      const raw = request.rawBody;
      // Fastify types the body as the schema's; a request without one has none.
      const b = request.body as AskReachabilityBodyT | undefined;
      if (raw === undefined || b === undefined)
        throw invalid('the request has no body: send the question as JSON (Content-Type: application/json)');
      // Bytes were size-checked by bodyLimit and depth-checked (64) by the app's parser; a question needs less depth.
      checkJsonLimits(raw, { what: 'request body', maxDepth: MAX_BODY_DEPTH, maxBytes: MAX_BODY_BYTES });
      const unknown = Object.keys(b).filter((k) => !BODY_FIELDS.includes(k));
      if (unknown.length > 0)
        throw invalid(
          `unknown field ${unknown
            .slice(0, 5)
            .map((k) => JSON.stringify(k.slice(0, 64)))
            .join(', ')} in the body; the fields are ${BODY_FIELDS.join(', ')}`,
        );
      const graph = graphOf(b.callgraphId, b.purl, { id: 'callgraphId', purl: 'purl' });
      const symbols = b.symbols ?? [];
      if (symbols.length === 0 && b.osv === undefined) throw invalid('symbols: give at least one symbol, or an OSV advisory as osv');
      if (symbols.length > options.maxSymbols) throw tooMany('symbols', symbols.length);
      const query: ReachabilityQuery = {
        tenant: b.tenant,
        ...graph,
        symbols,
        ...(b.osv === undefined ? {} : { osv: b.osv }),
        vulnerability: b.vulnerability,
        window: parseWindow(b.since, b.until),
        thresholds: thresholdsOf(b.minBatches, b.minSources),
        attest: b.attest === true,
      };
      const result = await useCases.answer(principalOf(request), query);
      return sendJson(reply, b.format === 'openvex' ? openVex(result, b.osv) : result);
    },
  );

  app.get<{ Querystring: HistoryQueryT }>(
    '/signals/reachability/history',
    {
      onRequest: requireAuth,
      schema: {
        ...common,
        summary: "A symbol's verdicts on a callgraph, oldest first, each linked to the one before it; chainOk says the links were checked",
        querystring: routeSchema(HistoryQuery),
        response: { 200: routeSchema(HistoryReply), ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query;
      return sendJson(
        reply,
        await useCases.history(principalOf(request), { tenant: q.tenant, callgraphId: q.callgraph_id, symbol: q.symbol }),
      );
    },
  );

  app.get<{ Params: VerdictParamsT }>(
    '/signals/reachability/verdicts/:id',
    {
      onRequest: requireAuth,
      schema: {
        ...common,
        summary:
          'A stored verdict: its predicate and its DSSE envelope (an in-toto Statement, predicateType https://attestry.dev/attestation/reachability/v1)',
        params: routeSchema(VerdictParams),
        response: { 200: routeSchema(VerdictReply), ...errors },
      },
    },
    async (request, reply) => {
      const { predicate, envelope } = await useCases.verdict(principalOf(request), request.params.id);
      const parsed = parseJsonBounded(envelope, { what: `the envelope of verdict ${request.params.id}`, code: 'E_INTEGRITY' });
      return sendJson(reply, { predicate, envelope: parsed });
    },
  );

  app.get<{ Params: VerdictParamsT }>(
    '/signals/reachability/verdicts/:id/envelope',
    {
      onRequest: requireAuth,
      schema: {
        ...common,
        summary: "The verdict's DSSE envelope, byte for byte as stored and logged (what verify-verdict checks)",
        params: routeSchema(VerdictParams),
        response: errors,
      },
    },
    async (request, reply) => {
      const { envelope } = await useCases.verdict(principalOf(request), request.params.id);
      return reply.header('content-type', JSON_TYPE).send(envelope);
    },
  );
  await Promise.resolve();
}
