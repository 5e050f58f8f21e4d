import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../core/ids.js';
import { authenticate } from '../authz/tokens.js';
import type { Principal } from '../authz/principal.js';
import type { TokensRepo } from '../store/db/tokens-repo.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth pre-handler on authenticated routes. */
    principal?: Principal;
    /** The exact request body bytes (evidence is stored byte for byte). */
    rawBody?: Buffer;
  }
}

export type AuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** Bearer-token authentication; authorisation happens in the use case via the access matrix. */
export function bearerAuth(tokens: TokensRepo, clock: Clock): AuthHook {
  return async (request) => {
    request.principal = await authenticate(tokens, request.headers.authorization, clock.now());
  };
}
