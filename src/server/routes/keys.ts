import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Keyring } from '../../crypto/keyring.js';
import { parseKeyId } from '../../core/key-id.js';
import { ErrorReply, PublicKeyReply } from '../schemas.js';

/** Public halves of the service's signing keys: public by nature, so no token needed. */
export function keyRoutes(app: FastifyInstance, keyring: Keyring, signingKeyId: string): void {
  const describe = (keyId: string) => ({ ...keyring.get(keyId), signing: keyId === signingKeyId });
  app.get(
    '/api/v1/keys',
    {
      schema: {
        summary: "The service's signing keys",
        tags: ['keys'],
        response: { 200: Type.Object({ keys: Type.Array(PublicKeyReply) }) },
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
        params: Type.Object({ keyId: Type.String({ maxLength: 128 }) }),
        response: { 200: PublicKeyReply, 400: ErrorReply, 404: ErrorReply },
      },
    },
    async (request) => describe(parseKeyId(request.params.keyId)),
  );
}
