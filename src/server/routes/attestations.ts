import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseJsonBounded } from '../../core/bounded-json.js';
import { AttestryError, isAttestryError } from '../../core/errors.js';
import { parseEvidence } from '../../evidence/classify.js';
import type { EvidenceLocker } from '../../evidence/locker.js';
import type { AuthHook } from '../auth.js';
import { routeSchema } from '../route-schema.js';
import {
  AttestationMeta,
  AttestationUploadBody,
  DsseEnvelopeBody,
  ErrorReplySchema,
  MessageSignatureBody,
  FindQuery,
  IdParams,
  StoredReply,
  TenantQuery,
  type FindQueryT,
  type IdParamsT,
  type TenantQueryT,
} from '../schemas.js';

const errors = { 400: ErrorReplySchema, 401: ErrorReplySchema, 403: ErrorReplySchema, 404: ErrorReplySchema };

export function attestationRoutes(app: FastifyInstance, locker: EvidenceLocker, requireAuth: AuthHook): void {
  app.post<{ Querystring: TenantQueryT }>(
    '/api/v1/attestations',
    {
      onRequest: requireAuth,
      schema: {
        summary:
          'Store a signed DSSE envelope (or a Sigstore bundle holding one, or a message-signature bundle from sign-blob) after verifying its signature',
        tags: ['evidence'],
        security: [{ bearer: [] }],
        querystring: routeSchema(TenantQuery),
        body: routeSchema(AttestationUploadBody),
        response: { 200: routeSchema(StoredReply), 201: routeSchema(StoredReply), ...errors, 413: ErrorReplySchema, 422: ErrorReplySchema },
      },
    },
    async (request, reply) => {
      const raw = request.rawBody;
      if (raw === undefined) throw new AttestryError('E_INVALID_INPUT', 'request body must be JSON (Content-Type: application/json)');
      const header = request.headers['x-attestry-tenant'];
      const tenant = request.query.tenant ?? (typeof header === 'string' ? header : undefined);
      const stored = await locker.put(request.principal!, tenant, raw, request.body);
      void reply.code(stored.created ? 201 : 200).header('location', `/api/v1/attestations/${stored.id}`);
      return stored;
    },
  );

  app.get<{ Params: IdParamsT }>(
    '/api/v1/attestations/:id',
    {
      onRequest: requireAuth,
      schema: {
        summary:
          'The stored DSSE envelope (or message signature), with its id and metadata (`bundle` too when a Sigstore bundle was uploaded)',
        tags: ['evidence'],
        security: [{ bearer: [] }],
        params: routeSchema(IdParams),
        response: {
          200: routeSchema(
            z.union([
              z.intersection(DsseEnvelopeBody, z.object({ id: z.string(), meta: AttestationMeta, bundle: z.unknown().optional() })),
              z.object({
                messageSignature: MessageSignatureBody,
                id: z.string(),
                meta: AttestationMeta,
                bundle: z.unknown().optional(),
              }),
            ]),
          ),
          ...errors,
          500: ErrorReplySchema,
        },
      },
    },
    async (request) => {
      const found = await locker.get(request.principal!, request.params.id);
      const { row } = found;
      let parsed: ReturnType<typeof parseEvidence>;
      let bundle: unknown;
      try {
        parsed = parseEvidence(found.bytes);
        bundle = parsed.mediaType.startsWith('application/vnd.dev.sigstore.bundle')
          ? parseJsonBounded(found.bytes, { what: `stored evidence ${row.id}` })
          : undefined;
      } catch (e) {
        // Stored before uploads were depth-checked: say what it is and where the bytes still are.
        if (!isAttestryError(e) || e.code !== 'E_INVALID_INPUT') throw e;
        throw new AttestryError(
          'E_INTEGRITY',
          `stored evidence ${row.id} can no longer be parsed (${e.message}); its exact bytes are at /api/v1/attestations/${row.id}/raw`,
          { cause: e },
        );
      }
      const meta = {
        tenant: row.tenant,
        kind: row.kind,
        mediaType: row.mediaType,
        payloadType: row.payloadType,
        predicateType: row.predicateType,
        digest: row.digest,
        size: row.size,
        signerKeyId: row.signerKeyId,
        createdAt: row.createdAt,
        subjects: row.subjects,
        ...(await locker.logInfo(row)),
      };
      const signed =
        parsed.content.type === 'dsse'
          ? parsed.content.envelope
          : {
              messageSignature: {
                messageDigest: { algorithm: parsed.content.algorithm, digest: parsed.content.digest },
                signature: parsed.content.signature,
              },
            };
      return { ...signed, id: row.id, meta, ...(bundle === undefined ? {} : { bundle }) };
    },
  );

  app.get<{ Params: IdParamsT }>(
    '/api/v1/attestations/:id/bundle',
    {
      onRequest: requireAuth,
      schema: {
        summary:
          'The envelope as a Sigstore bundle v0.3 with its transparency log entry, inclusion proof and signed checkpoint (verifies offline)',
        tags: ['evidence', 'log'],
        security: [{ bearer: [] }],
        params: routeSchema(IdParams),
        response: { ...errors, 500: ErrorReplySchema },
      },
    },
    async (request, reply) => {
      void reply.header('content-type', 'application/vnd.dev.sigstore.bundle.v0.3+json');
      return locker.exportBundle(request.principal!, request.params.id);
    },
  );

  app.get<{ Params: IdParamsT }>(
    '/api/v1/attestations/:id/raw',
    {
      onRequest: requireAuth,
      schema: {
        summary: 'The exact bytes that were uploaded',
        tags: ['evidence'],
        security: [{ bearer: [] }],
        params: routeSchema(IdParams),
      },
    },
    async (request, reply) => {
      const found = await locker.get(request.principal!, request.params.id);
      void reply
        .header('content-type', found.row.mediaType)
        .header('digest', `sha-256=${Buffer.from(found.row.digest.slice(7), 'hex').toString('base64')}`);
      return found.bytes;
    },
  );

  app.get<{ Querystring: FindQueryT }>(
    '/api/v1/attestations',
    {
      onRequest: requireAuth,
      schema: {
        summary: 'Find evidence by subject digest, in the tenants and kinds the token may read',
        tags: ['evidence'],
        security: [{ bearer: [] }],
        querystring: routeSchema(FindQuery),
        response: {
          200: routeSchema(
            z.object({
              items: z.array(
                z.object({
                  id: z.string(),
                  tenant: z.string(),
                  kind: z.string(),
                  predicateType: z.string().nullable(),
                  digest: z.string(),
                  signerKeyId: z.string(),
                  createdAt: z.string(),
                }),
              ),
              next: z.string().optional(),
            }),
          ),
          ...errors,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const { items, next } = await locker.find(request.principal!, {
        subject: q.subject,
        tenant: q.tenant,
        kind: q.kind,
        after: q.after,
        limit: q.limit === undefined ? undefined : Number(q.limit),
      });
      return {
        items: items.map((r) => ({
          id: r.id,
          tenant: r.tenant,
          kind: r.kind,
          predicateType: r.predicateType,
          digest: r.digest,
          signerKeyId: r.signerKeyId,
          createdAt: r.createdAt,
        })),
        ...(next === undefined ? {} : { next }),
      };
    },
  );
}
