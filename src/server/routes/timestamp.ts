import type { FastifyInstance } from 'fastify';
import { AttestryError } from '../../core/errors.js';
import type { TimestampAuthority } from '../../tlog/tsa.js';

export const TIMESTAMP_QUERY = 'application/timestamp-query';
export const TIMESTAMP_REPLY = 'application/timestamp-reply';
/** A TimeStampReq is ~60-100 bytes (more with a policy or extensions); nothing honest comes near this. */
const MAX_QUERY_BYTES = 16 * 1024;

/**
 * RFC 3161 §3.4 over HTTP: POST a DER TimeStampReq as
 * `application/timestamp-query`, get a DER TimeStampResp as
 * `application/timestamp-reply` (200 granted; 400 rejection with its
 * PKIFailureInfo). No token, like every public TSA: clients such as
 * `openssl ts`, cosign and sigstore send none, and a timestamp reveals
 * nothing but the hash it was asked for.
 */
export async function timestampRoutes(app: FastifyInstance, tsa: TimestampAuthority): Promise<void> {
  // Its own plugin scope: the DER parser and its size limit apply to this route only.
  await app.register(async (scope) => {
    scope.addContentTypeParser(TIMESTAMP_QUERY, { parseAs: 'buffer', bodyLimit: MAX_QUERY_BYTES }, (_request, body, done) =>
      done(null, body),
    );
    scope.post(
      '/api/v1/timestamp',
      {
        bodyLimit: MAX_QUERY_BYTES,
        schema: {
          summary:
            'RFC 3161 timestamp: DER TimeStampReq in (application/timestamp-query), DER TimeStampResp out (application/timestamp-reply)',
          tags: ['log'],
        },
      },
      async (request, reply) => {
        const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
        if (type !== TIMESTAMP_QUERY || !Buffer.isBuffer(request.body)) {
          const e = new AttestryError(
            'E_INVALID_INPUT',
            `POST /api/v1/timestamp takes a DER TimeStampReq with Content-Type: ${TIMESTAMP_QUERY} (e.g. openssl ts -query -data FILE -sha256 -cert)`,
          );
          return reply.code(415).send(e.toJSON());
        }
        const { status, reply: der } = tsa.respond(request.body);
        return reply.code(status).header('content-type', TIMESTAMP_REPLY).header('cache-control', 'no-store').send(der);
      },
    );
  });
}
