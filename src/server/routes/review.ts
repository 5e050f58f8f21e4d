import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../authz/principal.js';
import type { AttestryConfig } from '../../core/config.js';
import { AttestryError } from '../../core/errors.js';
import type { DecisionResult, ReviewUseCases } from '../../ai/review-use-cases.js';
import type { AuthHook } from '../auth.js';
import { routeSchema } from '../route-schema.js';
import { ErrorReplySchema } from '../schemas.js';
import { aiBodyLimit } from './ai.js';
import {
  AnyObjectReply,
  APPROVE_FIELDS,
  ApproveBody,
  ArtifactParams,
  GROUND_TRUTH_FIELDS,
  GroundTruthBody,
  PUBLISH_FIELDS,
  PublishBody,
  REASON_FIELDS,
  ReasonBody,
  ReviewListQuery,
  TenantQuery,
  VERIFY_CHAIN_FIELDS,
  VerifyChainBody,
  VexQuery,
  type ArtifactParamsT,
  type ReviewListQueryT,
  type TenantQueryT,
  type VerifyChainBodyT,
  type VexQueryT,
} from './review-schemas.js';

const errors = {
  400: ErrorReplySchema,
  401: ErrorReplySchema,
  403: ErrorReplySchema,
  404: ErrorReplySchema,
  409: ErrorReplySchema,
  413: ErrorReplySchema,
  422: ErrorReplySchema,
  500: ErrorReplySchema,
};
const review = { tags: ['review'], security: [{ bearer: [] }] };
const vexTags = { tags: ['vex'], security: [{ bearer: [] }] };
const anyObject = routeSchema(AnyObjectReply);
/** A decision carries a comment or a reason of at most 16 Ki characters, each up to 6 bytes once JSON-escaped. */
const DECISION_BODY_LIMIT = 128 * 1024;

type Body = Record<string, unknown> | undefined;
type ArtifactRoute = { Params: ArtifactParamsT; Querystring: TenantQueryT; Body: Body };

const principalOf = (request: FastifyRequest): Principal => {
  if (request.principal === undefined) throw new AttestryError('E_UNAUTHENTICATED', 'no bearer token');
  return request.principal;
};

const invalid = (message: string): AttestryError => new AttestryError('E_INVALID_INPUT', message);

/** Replies go out whole (a schema-driven serializer would drop fields the loose reply schemas do not name). */
function sendJson(reply: FastifyReply, value: unknown, status = 200, type = 'application/json'): FastifyReply {
  return reply
    .code(status)
    .header('content-type', type)
    .header('cache-control', 'no-store')
    .send(Buffer.from(JSON.stringify(value), 'utf8'));
}

/** A decision or a publication may come without a body (no comment, the token's tenant): read as {}. */
async function emptyBody(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
  await Promise.resolve();
}

/** The body's fields, each known: a misspelt `reson` is refused by name rather than read as "no reason". */
function fieldsOf(body: Body, known: readonly string[]): Record<string, unknown> {
  const b = body ?? {};
  const unknown = Object.keys(b).find((k) => !known.includes(k));
  if (unknown !== undefined)
    throw invalid(`unknown field ${JSON.stringify(unknown.slice(0, 64))} in the body; the fields are ${known.join(', ')}`);
  return b;
}

/** `?tenant=` or the body's `tenant`; both is fine when they agree. */
function tenantOf(query: TenantQueryT, body: Record<string, unknown>): string | undefined {
  const fromBody = body['tenant'] as string | undefined;
  if (query.tenant !== undefined && fromBody !== undefined && query.tenant !== fromBody)
    throw invalid(`?tenant=${query.tenant.slice(0, 64)} and the body's tenant ${JSON.stringify(fromBody.slice(0, 64))} differ`);
  return query.tenant ?? fromBody;
}

/**
 * Issue 17's endpoints: the review queue and an artifact's review record,
 * the four decisions (each a signed, logged transition), VEX publishing and
 * reads, and the chain check from generation to published VEX. Roles,
 * tenants and the authority rules are the use cases' (review-service.ts):
 * here only the wire shapes are.
 */
export async function reviewRoutes(
  app: FastifyInstance,
  useCases: ReviewUseCases,
  requireAuth: AuthHook,
  limits: AttestryConfig['advisoryAi']['limits'],
): Promise<void> {
  const withArtifact = { params: routeSchema(ArtifactParams), querystring: routeSchema(TenantQuery) };

  app.get<{ Querystring: ReviewListQueryT }>(
    '/api/v1/review',
    {
      onRequest: requireAuth,
      schema: {
        ...review,
        summary: 'AI drafts awaiting review (state=pending, the default), or approved, rejected or all, newest first',
        querystring: routeSchema(ReviewListQuery),
        response: { 200: anyObject, ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const items = await useCases.list(principalOf(request), {
        tenant: q.tenant,
        type: q.type,
        state: q.state,
        minAgeSeconds: q.minAgeSeconds === undefined ? undefined : Number(q.minAgeSeconds),
        limit: q.limit === undefined ? undefined : Number(q.limit),
      });
      return sendJson(reply, { items, count: items.length });
    },
  );

  app.get<{ Params: ArtifactParamsT; Querystring: TenantQueryT }>(
    '/api/v1/review/:artifactId',
    {
      onRequest: requireAuth,
      schema: {
        ...review,
        summary:
          'An AI artifact as a reviewer sees it: finding, output, context documents, the VEX claim, replay status, ground truth, its signed transitions and attestation',
        ...withArtifact,
        response: { 200: anyObject, ...errors },
      },
    },
    async (request, reply) => sendJson(reply, await useCases.show(principalOf(request), request.params.artifactId, request.query.tenant)),
  );

  const decision = (
    path: string,
    summary: string,
    body: Parameters<typeof routeSchema>[0],
    fields: readonly string[],
    decide: (principal: Principal, artifactId: string, b: Record<string, unknown>, tenant: string | undefined) => Promise<DecisionResult>,
  ): void => {
    app.post<ArtifactRoute>(
      `/api/v1/review/:artifactId/${path}`,
      {
        onRequest: requireAuth,
        preValidation: emptyBody,
        bodyLimit: DECISION_BODY_LIMIT,
        schema: { ...review, summary, ...withArtifact, body: routeSchema(body), response: { 200: anyObject, ...errors } },
      },
      async (request, reply) => {
        const b = fieldsOf(request.body, fields);
        const result = await decide(principalOf(request), request.params.artifactId, b, tenantOf(request.query, b));
        return sendJson(reply, result);
      },
    );
  };
  decision(
    'approve',
    'Approve a draft: a signed, logged transition; once advisoryAi.review.approvalsRequired distinct reviewers approved, it is human-approved. 409 when already decided',
    ApproveBody,
    APPROVE_FIELDS,
    (p, id, b, tenant) => useCases.approve(p, id, { comment: b['comment'] as string | undefined, tenant }),
  );
  decision(
    'reject',
    'Reject a draft, for ever; a reason is required. 409 when already decided',
    ReasonBody,
    REASON_FIELDS,
    (p, id, b, tenant) => useCases.reject(p, id, { reason: b['reason'] as string, tenant }),
  );
  decision(
    'ground-truth',
    "Check a vex_draft's claim against the latest signed reachability verdict of (callgraphId, symbol): agrees → ai-verified, disagrees → flagged",
    GroundTruthBody,
    GROUND_TRUTH_FIELDS,
    (p, id, b, tenant) =>
      useCases.groundTruth(p, id, { callgraphId: b['callgraphId'] as string, symbol: b['symbol'] as string | undefined, tenant }),
  );
  decision('override', 'Clear a ground-truth flag; a reason is required', ReasonBody, REASON_FIELDS, (p, id, b, tenant) =>
    useCases.override(p, id, { reason: b['reason'] as string, tenant }),
  );

  app.post<ArtifactRoute>(
    '/api/v1/vex/:artifactId/publish',
    {
      onRequest: requireAuth,
      preValidation: emptyBody,
      bodyLimit: DECISION_BODY_LIMIT,
      schema: {
        ...vexTags,
        summary:
          'Publish an approved vex_draft as a signed OpenVEX 0.2.0 in-toto attestation (stored and logged): 201 with the OpenVEX document and Location; 200 with the same document when it was already published; 409 naming what is missing. The attestation is at Location + /bundle',
        ...withArtifact,
        body: routeSchema(PublishBody),
        response: { 200: anyObject, 201: anyObject, ...errors },
      },
    },
    async (request, reply) => {
      const b = fieldsOf(request.body, PUBLISH_FIELDS);
      const r = await useCases.publish(principalOf(request), request.params.artifactId, { tenant: tenantOf(request.query, b) });
      // The body is the OpenVEX document itself (schema-valid as it stands); where its signed attestation is goes in headers.
      void reply.header('location', `/api/v1/vex/${r.artifactId}`);
      void reply.header('x-attestry-record-id', r.recordId);
      if (r.logIndex !== null) void reply.header('x-attestry-log-index', String(r.logIndex));
      return sendJson(reply, r.document, r.created ? 201 : 200);
    },
  );

  app.get<{ Querystring: VexQueryT }>(
    '/api/v1/vex',
    {
      onRequest: requireAuth,
      schema: {
        ...vexTags,
        summary: 'Published VEX statements about a package URL (with a version: that version; without: every version)',
        querystring: routeSchema(VexQuery),
        response: { 200: anyObject, ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const limit = q.limit === undefined ? undefined : Number(q.limit);
      const statements = await useCases.vex(principalOf(request), { purl: q.purl, tenant: q.tenant, limit });
      return sendJson(reply, { statements, count: statements.length });
    },
  );

  app.get<{ Params: ArtifactParamsT; Querystring: TenantQueryT }>(
    '/api/v1/vex/:artifactId',
    {
      onRequest: requireAuth,
      schema: { ...vexTags, summary: 'The published OpenVEX document of a draft (404 until it is published)', ...withArtifact },
    },
    async (request, reply) => {
      const v = await useCases.vexOf(principalOf(request), request.params.artifactId, request.query.tenant);
      return sendJson(reply, v.document);
    },
  );

  app.get<{ Params: ArtifactParamsT; Querystring: TenantQueryT }>(
    '/api/v1/vex/:artifactId/bundle',
    {
      onRequest: requireAuth,
      schema: {
        ...vexTags,
        summary: 'The published VEX attestation as a Sigstore bundle v0.3 with its log entry and inclusion proof (verifies offline)',
        ...withArtifact,
      },
    },
    async (request, reply) => {
      const bundle = await useCases.exportVex(principalOf(request), request.params.artifactId, request.query.tenant);
      return sendJson(reply, bundle, 200, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    },
  );

  app.post<{ Body: VerifyChainBodyT }>(
    '/api/v1/attestation/verify-chain',
    {
      onRequest: requireAuth,
      // No body is then "must have required property 'attestation'", naming what to send.
      preValidation: emptyBody,
      bodyLimit: aiBodyLimit(limits),
      schema: {
        tags: ['ai'],
        security: [{ bearer: [] }],
        summary:
          "Verify everything between a generation and its published VEX: the VEX signature, publication and log entry; the draft's attestation; each transition's signature, link and log entry; the authority rules; the publication binding. 200 with valid and each check",
        body: routeSchema(VerifyChainBody),
        response: { 200: anyObject, ...errors },
      },
    },
    async (request, reply) => {
      const b = fieldsOf(request.body, VERIFY_CHAIN_FIELDS);
      return sendJson(
        reply,
        await useCases.verifyChain(principalOf(request), { attestation: b['attestation'], tenant: b['tenant'] as string | undefined }),
      );
    },
  );
  await Promise.resolve();
}
