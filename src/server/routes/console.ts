/**
 * The web console (issue 18): its built files under /console/ with a strict
 * Content-Security-Policy, and the login that turns an API token into the
 * console's HttpOnly session cookie. The console's pages call the same API
 * as every client, with the same tokens, roles and tenants.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../../authz/principal.js';
import { AttestryError } from '../../core/errors.js';
import type { Clock } from '../../core/ids.js';
import type { KindRegistry } from '../../kinds/registry.js';
import type { AuthHook, TokenSessions } from '../auth.js';
import {
  clearedSessionCookie,
  csrfTokenFor,
  overHttps,
  SESSION_MAX_AGE_SECONDS,
  sessionCookie,
  cookieCredential,
} from '../console-session.js';
import { routeSchema } from '../route-schema.js';
import { ErrorReplySchema } from '../schemas.js';

/** No inline script or style, nothing from another origin, never framed. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

/**
 * The built console (`npm run build` writes dist/console): found by walking
 * up from this module, which runs from dist/src/server/routes or, bundled,
 * from dist/src/cli. The source folder (console/ at the root) has no assets/
 * and is never taken for it.
 */
export function builtConsoleDir(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = from;
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'console');
    if (existsSync(join(candidate, 'index.html')) && existsSync(join(candidate, 'assets'))) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

const LoginBody = z.object({ token: z.string().min(1).max(256).describe('an API token (attestry token create)') });
const SessionReply = z.object({
  role: z.string(),
  tenants: z.union([z.literal('*'), z.array(z.string())]),
  csrfToken: z.string().describe('send it as X-CSRF-Token on every call made with the session cookie'),
  expiresAt: z.string().nullable(),
  can: z.object({ review: z.boolean(), publish: z.boolean(), readLog: z.boolean() }),
});
const errors = { 400: ErrorReplySchema, 401: ErrorReplySchema, 403: ErrorReplySchema };

export interface ConsoleDeps {
  readonly sessions: TokenSessions;
  readonly clock: Clock;
  readonly kinds: KindRegistry;
  /** Where the built console is; default builtConsoleDir(). */
  readonly dir?: string | undefined;
}

function sessionOf(principal: Principal, token: string, kinds: KindRegistry, expiresAt: string | null): z.infer<typeof SessionReply> {
  return {
    role: principal.role,
    tenants: principal.tenants === '*' ? '*' : [...principal.tenants],
    csrfToken: csrfTokenFor(token),
    expiresAt,
    can: {
      review: kinds.can(principal.role, 'ai-reviews', 'write'),
      publish: kinds.can(principal.role, 'vex-statements', 'write'),
      readLog: true,
    },
  };
}

/** A login or logout posted from another site (login CSRF, forced logout) is refused; browsers send Sec-Fetch-Site on every fetch. */
function sameOriginOnly(request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    throw new AttestryError('E_FORBIDDEN', `a console login or logout from another site (Sec-Fetch-Site: ${site.slice(0, 40)}) is refused`);
}

export async function consoleRoutes(app: FastifyInstance, deps: ConsoleDeps, requireAuth: AuthHook): Promise<void> {
  const secure = overHttps;

  app.post<{ Body: z.infer<typeof LoginBody> }>(
    '/console/api/login',
    {
      bodyLimit: 4096,
      schema: {
        summary:
          "Starts a console session: checks the token and sets it as an HttpOnly, SameSite=Strict cookie; replies with the session's CSRF token",
        tags: ['console'],
        body: routeSchema(LoginBody),
        response: { 200: routeSchema(SessionReply), ...errors },
      },
    },
    async (request, reply) => {
      sameOriginOnly(request);
      const token = request.body.token.trim();
      const { principal, expiresAt } = await deps.sessions.signIn(token);
      const untilExpiry = expiresAt === null ? Infinity : (Date.parse(expiresAt) - deps.clock.now().getTime()) / 1000;
      void reply.header('set-cookie', sessionCookie(token, Math.min(SESSION_MAX_AGE_SECONDS, untilExpiry), secure(request)));
      void reply.header('cache-control', 'no-store');
      return sessionOf(principal, token, deps.kinds, expiresAt);
    },
  );

  app.post(
    '/console/api/logout',
    { schema: { summary: 'Ends the console session (clears its cookie)', tags: ['console'], response: { 204: { type: 'null' } } } },
    async (request, reply) => {
      sameOriginOnly(request);
      return reply
        .code(204)
        .header('set-cookie', clearedSessionCookie(secure(request)))
        .send();
    },
  );

  app.get(
    '/console/api/session',
    {
      onRequest: requireAuth,
      config: { csrfExempt: true },
      schema: {
        summary: "Who the console's session (or bearer token) is: role, tenants, what it may do, its CSRF token",
        tags: ['console'],
        response: { 200: routeSchema(SessionReply), ...errors },
      },
    },
    async (request, reply) => {
      const principal = request.principal!;
      // The token the auth hook authenticated (the header's when there is one).
      const token = cookieCredential(request) ?? /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
      void reply.header('cache-control', 'no-store');
      return sessionOf(principal, token, deps.kinds, await deps.sessions.expiryOf(principal));
    },
  );

  const dir = deps.dir ?? builtConsoleDir();
  const redirect = (_request: FastifyRequest, reply: FastifyReply) => reply.redirect('/console/', 302);
  app.get('/console', { schema: { hide: true } }, redirect);
  if (dir === undefined) {
    app.get('/console/*', { schema: { hide: true } }, async () => {
      throw new AttestryError('E_UNAVAILABLE', 'the web console is not built: run npm run build (it writes dist/console)');
    });
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/console/',
    index: ['index.html'],
    wildcard: true,
    serveDotFiles: false,
    preCompressed: true,
    setHeaders: (res, path) => {
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) void res.header(k, v);
      // Assets are named by their content hash; index.html must be looked at again.
      void res.header('cache-control', path.includes(join('console', 'assets')) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
