import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../core/ids.js';
import { authenticate } from '../authz/tokens.js';
import type { Principal } from '../authz/principal.js';
import type { TokensRepo } from '../store/db/tokens-repo.js';
import { checkCsrf, cookieCredential } from './console-session.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth pre-handler on authenticated routes. */
    principal?: Principal;
    /** The exact request body bytes (evidence is stored byte for byte). */
    rawBody?: Buffer;
  }
}

export type AuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * Bearer-token authentication, or the web console's session cookie (with its
 * CSRF header, see console-session.ts); authorisation happens in the use case
 * via the access matrix. An Authorization header wins over the cookie.
 */
export function bearerAuth(tokens: TokensRepo, clock: Clock): AuthHook {
  return async (request) => {
    const session = cookieCredential(request);
    if (session === undefined) {
      request.principal = await authenticate(tokens, request.headers.authorization, clock.now());
      return;
    }
    const principal = await authenticate(tokens, `Bearer ${session}`, clock.now());
    checkCsrf(request, session);
    request.principal = principal;
  };
}

/** What the console's login needs of the token store: the principal of a token, and when it expires. */
export interface TokenSessions {
  signIn(token: string): Promise<{ principal: Principal; expiresAt: string | null }>;
  expiryOf(principal: Principal): Promise<string | null>;
}

export function tokenSessions(tokens: TokensRepo, clock: Clock): TokenSessions {
  const expiryOf = async (principal: Principal): Promise<string | null> => (await tokens.get(principal.tokenId))?.expiresAt ?? null;
  return {
    signIn: async (token) => {
      const principal = await authenticate(tokens, `Bearer ${token}`, clock.now());
      return { principal, expiresAt: await expiryOf(principal) };
    },
    expiryOf,
  };
}
