import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Keyring } from '../../crypto/keyring.js';
import { parseKeyId } from '../../core/key-id.js';
import { routeSchema } from '../route-schema.js';
import { ErrorReplySchema, PublicKeyReply } from '../schemas.js';

/** Public halves of the service's signing keys: public by nature, so no token needed. */
export function keyRoutes(app: FastifyInstance, keyring: Keyring, signingKeyId: string): void {
  const describe = (keyId: string) => ({ ...keyring.get(keyId), signing: keyId === signingKeyId });
  app.get(
    '/api/v1/keys',
    {
      schema: {
        summary: "The service's signing keys",
        tags: ['keys'],
        response: { 200: routeSchema(z.object({ keys: z.array(PublicKeyReply) })) },
      },
    },
    async () => ({ keys: keyring.list().map((k) => describe(k.keyId)) }),
  );
  app.get<{ Params: { keyId: string } }>(
    '/api/v1/keys/:keyId',
    {
      schema: {
        summary: 'One signing key by key id',
        tags: ['keys'],
        params: routeSchema(z.object({ keyId: z.string().max(128) })),
        response: { 200: routeSchema(PublicKeyReply), 400: ErrorReplySchema, 404: ErrorReplySchema },
      },
    },
    async (request) => describe(parseKeyId(request.params.keyId)),
  );
}
