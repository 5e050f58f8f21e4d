import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../authz/principal.js';
import type { AttestryConfig } from '../../core/config.js';
import { AttestryError } from '../../core/errors.js';
import type { AiUseCases, ContextInput, ExplainResult } from '../../ai/use-cases.js';
import type { AuthHook } from '../auth.js';
import { routeSchema } from '../route-schema.js';
import { ErrorReplySchema } from '../schemas.js';
import {
  AnyObjectReply,
  AttestationParams,
  AuditQuery,
  EXPLAIN_FIELDS,
  ExplainBody,
  ReplayBody,
  TenantQuery,
  VerifyBody,
  type AttestationParamsT,
  type AuditQueryT,
  type ExplainBodyT,
  type ReplayBodyT,
  type TenantQueryT,
  type VerifyBodyT,
} from './ai-schemas.js';

const JSON_TYPE = 'application/json';
const errors = {
  400: ErrorReplySchema,
  401: ErrorReplySchema,
  403: ErrorReplySchema,
  404: ErrorReplySchema,
  413: ErrorReplySchema,
  500: ErrorReplySchema,
};
const generationErrors = { ...errors, 408: ErrorReplySchema, 422: ErrorReplySchema, 501: ErrorReplySchema, 502: ErrorReplySchema };
const common = { tags: ['ai'], security: [{ bearer: [] }] };
const anyObject = routeSchema(AnyObjectReply);

const principalOf = (request: FastifyRequest): Principal => {
  if (request.principal === undefined) throw new AttestryError('E_UNAUTHENTICATED', 'no bearer token');
  return request.principal;
};

const invalid = (message: string): AttestryError => new AttestryError('E_INVALID_INPUT', message);

/** Replies go out whole (a schema-driven serializer would drop fields the loose reply schemas do not name). */
function sendJson(reply: FastifyReply, value: unknown, status = 200): FastifyReply {
  return reply
    .code(status)
    .header('content-type', JSON_TYPE)
    .header('cache-control', 'no-store')
    .send(Buffer.from(JSON.stringify(value), 'utf8'));
}

/**
 * Bodies carry a finding and a context pack (explain), or an envelope and a
 * replay manifest that holds both (verify, replay): the configured limits of
 * those, with room for JSON escaping, bound the body before it is parsed.
 */
export function aiBodyLimit(limits: AttestryConfig['advisoryAi']['limits']): number {
  return 2 * (limits.maxFindingBytes + limits.maxContextBytes) + 1024 * 1024;
}

/** Fastify types the body as the schema's; a request without one has none. */
function requireBody(request: FastifyRequest): void {
  if (request.body === undefined || request.body === null)
    throw invalid('the request has no body: send it as JSON (Content-Type: application/json)');
}

function contextOf(
  docs: readonly { name: string; mediaType?: string | undefined; content: string }[] | undefined,
): ContextInput[] | undefined {
  return docs?.map((c) => ({ name: c.name, mediaType: c.mediaType, content: c.content }));
}

/** Seed 002's response: `explanation`, `attestation` {predicateType, predicate, signature}, `replayManifestId`; and the rest. */
function explainReply(r: ExplainResult): Record<string, unknown> {
  return {
    artifactId: r.artifactId,
    artifactType: r.artifactType,
    authority: r.authority,
    explanation: r.output,
    attestation: {
      ...r.statement,
      signature: r.envelope?.signatures[0] ?? null,
      envelope: r.envelope,
    },
    keyId: r.keyId,
    recordId: r.recordId,
    keys: r.keys,
    replayManifestId: r.replayManifestId,
    replayManifest: r.manifest,
    manifestHash: r.manifest.manifestHash,
    logIndex: r.logIndex,
    tokenCount: r.tokenCount,
    generationMs: Math.round(r.generationMs),
    links: { self: `/api/v1/attestation/${r.artifactId}` },
  };
}

/**
 * Seed 002's endpoints (docs/ai.md): explain, verify, replay, an artifact
 * with its manifest and audit history, and the audit trail. The backend is
 * always the configured one: a caller may change sampling settings, never
 * point the service at a model file or a server of its choosing.
 */
export async function aiRoutes(
  app: FastifyInstance,
  useCases: AiUseCases,
  requireAuth: AuthHook,
  limits: AttestryConfig['advisoryAi']['limits'],
): Promise<void> {
  const bodyLimit = aiBodyLimit(limits);

  app.post<{ Body: ExplainBodyT }>(
    '/api/v1/advisory/explain',
    {
      onRequest: requireAuth,
      bodyLimit,
      schema: {
        ...common,
        summary:
          'Generate an AI artifact for a finding (explanation by default; options.artifactType) with the configured model; store its in-toto attestation (DSSE-signed unless options.signAttestation is false) and replay manifest in the locker and log it',
        body: routeSchema(ExplainBody),
        response: { 200: anyObject, ...generationErrors },
      },
    },
    async (request, reply) => {
      requireBody(request);
      const b = request.body;
      const unknown = Object.keys(b).filter((k) => !EXPLAIN_FIELDS.includes(k));
      if (unknown.length > 0)
        throw invalid(`unknown field ${JSON.stringify(unknown[0]?.slice(0, 64))} in the body; the fields are ${EXPLAIN_FIELDS.join(', ')}`);
      if (b.finding === undefined)
        throw invalid(
          `finding: attestry keeps no findings database, so send the finding ${JSON.stringify(b.findingId.slice(0, 64))} itself: "finding": {"id", "cve", "purl", "description"}`,
        );
      if (b.finding['id'] !== undefined && b.finding['id'] !== b.findingId)
        throw invalid(`findingId ${JSON.stringify(b.findingId.slice(0, 64))} differs from finding.id`);
      if (b.options?.generateAttestation === false)
        throw invalid('options.generateAttestation: false is not offered: every generation is attested and audited');
      const finding = {
        ...b.finding,
        id: b.findingId,
        ...(b.artifactDigest === undefined ? {} : { artifactDigest: b.artifactDigest }),
      };
      const r = await useCases.explain(principalOf(request), {
        tenant: b.tenant,
        // parseFinding in the use case checks every field.
        finding: finding as never,
        context: contextOf(b.context),
        artifactType: b.options?.artifactType,
        templateVersion: b.options?.templateVersion,
        signAttestation: b.options?.signAttestation,
        parameters: b.options?.parameters,
      });
      void reply.header('location', `/api/v1/attestation/${r.artifactId}`);
      return sendJson(reply, explainReply(r));
    },
  );

  app.post<{ Body: VerifyBodyT }>(
    '/api/v1/attestation/verify',
    {
      onRequest: requireAuth,
      bodyLimit,
      schema: {
        ...common,
        summary:
          'Verify an AI attestation: signature (keyring or publicKey), predicate schema, manifest hash and binding, prompt, context and output hashes, log inclusion; options.verifyReplay also replays. 200 with valid and each check; failedCheck names the first that failed',
        body: routeSchema(VerifyBody),
        response: { 200: anyObject, ...generationErrors },
      },
    },
    async (request, reply) => {
      requireBody(request);
      const b = request.body;
      const result = await useCases.verify(principalOf(request), {
        tenant: b.tenant,
        attestation: b.attestation,
        manifest: b.manifest,
        publicKeyPem: b.publicKey,
        verifySignature: b.options?.verifySignature,
        verifyReplay: b.options?.verifyReplay,
        requireLogged: b.options?.requireLogged,
      });
      return sendJson(reply, result);
    },
  );

  app.post<{ Body: ReplayBodyT }>(
    '/api/v1/advisory/replay',
    {
      onRequest: requireAuth,
      bodyLimit,
      schema: {
        ...common,
        summary:
          'Generate an artifact again from its replay manifest (manifestId, or the manifest): every pinned input or setting that differs is named as a cause, then the outputs are compared. status: identical | semantically-equivalent | divergent | failed',
        body: routeSchema(ReplayBody),
        response: { 200: anyObject, ...generationErrors },
      },
    },
    async (request, reply) => {
      requireBody(request);
      const b = request.body;
      if ((b.manifestId === undefined) === (b.manifest === undefined))
        throw invalid('give manifestId (a stored replay manifest) or manifest (the manifest itself), exactly one');
      const o = b.overrides;
      const result = await useCases.replay(principalOf(request), {
        tenant: b.tenant,
        manifestId: b.manifestId,
        manifest: b.manifest,
        detectDivergence: b.detectDivergence,
        overrides:
          o === undefined ? undefined : { parameters: o.parameters, templateVersion: o.templateVersion, context: contextOf(o.context) },
      });
      return sendJson(reply, result);
    },
  );

  app.get<{ Params: AttestationParamsT; Querystring: TenantQueryT }>(
    '/api/v1/attestation/:id',
    {
      onRequest: requireAuth,
      schema: {
        ...common,
        summary: 'An AI artifact: its attestation (statement and DSSE envelope), replay manifest, log index and audit history',
        params: routeSchema(AttestationParams),
        querystring: routeSchema(TenantQuery),
        response: { 200: anyObject, ...errors },
      },
    },
    async (request, reply) => {
      const a = await useCases.attestation(principalOf(request), request.params.id, request.query.tenant);
      return sendJson(reply, {
        ...a,
        attestation: { ...a.statement, signature: a.envelope?.signatures[0] ?? null, envelope: a.envelope },
        replayManifest: a.manifest,
      });
    },
  );

  app.get<{ Querystring: AuditQueryT }>(
    '/api/v1/audit',
    {
      onRequest: requireAuth,
      schema: {
        ...common,
        summary: "The tenant's AI audit trail, oldest first: every generation, verification and replay, hash-chained and signed",
        querystring: routeSchema(AuditQuery),
        response: { 200: anyObject, ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query;
      if (q.since !== undefined && Number.isNaN(Date.parse(q.since)))
        throw invalid(`since: ${JSON.stringify(q.since)} is not an ISO 8601 instant (e.g. 2026-12-01T00:00:00Z)`);
      const since = q.since === undefined ? undefined : new Date(q.since).toISOString();
      const principal = principalOf(request);
      const records = await useCases.audit(principal, {
        tenant: q.tenant,
        artifactId: q.artifactId,
        since,
        limit: q.limit === undefined ? undefined : Number(q.limit),
      });
      return sendJson(reply, { records, count: records.length });
    },
  );

  app.get<{ Querystring: TenantQueryT }>(
    '/api/v1/audit/verify',
    {
      onRequest: requireAuth,
      schema: {
        ...common,
        summary:
          "Check the tenant's audit chain (each record names its predecessor's digest), the records' signatures and the log inclusion of its head",
        querystring: routeSchema(TenantQuery),
        response: { 200: anyObject, ...errors },
      },
    },
    async (request, reply) => sendJson(reply, await useCases.verifyAudit(principalOf(request), request.query.tenant)),
  );
  await Promise.resolve();
}
