import { createHash, timingSafeEqual } from 'node:crypto';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import type { FastifyRequest } from 'fastify';
import { AttestryError } from '../core/errors.js';

/**
 * The web console's session: the API token itself, in an HttpOnly,
 * SameSite=Strict cookie set by POST /console/api/login (never readable by
 * the page's scripts, never in localStorage). A request that arrives with the
 * cookie and changes state must also carry X-CSRF-Token: a one-way hash of
 * the token the page learnt from the login reply. Another site can make the
 * browser send the cookie (SameSite aside) but can read neither it nor the
 * hash, so it cannot forge that header. Stateless, so any node of a cluster
 * (and a restarted one) accepts the session.
 */
export const SESSION_COOKIE = 'attestry_session';
export const CSRF_HEADER = 'x-csrf-token';
/** A console session lasts at most this long (or until the token expires, if sooner). */
export const SESSION_MAX_AGE_SECONDS = 12 * 3600;
/** The longest cookie header looked at: a token is 74 characters. */
const MAX_COOKIE_HEADER = 8192;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function csrfTokenFor(token: string): string {
  return createHash('sha256').update('attestry-console-csrf\0').update(token, 'utf8').digest('base64url');
}

/** The session token from the request's cookie, if it has one. */
export function sessionTokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined || header.length > MAX_COOKIE_HEADER) return undefined;
  const value = parseCookies(header)[SESSION_COOKIE];
  return value === undefined || value === '' ? undefined : value;
}

/** Refuses a state-changing cookie-authenticated request without the session's CSRF token. */
export function checkCsrf(request: FastifyRequest, token: string): void {
  if (SAFE_METHODS.has(request.method)) return;
  const sent = request.headers[CSRF_HEADER];
  const expected = Buffer.from(csrfTokenFor(token));
  const given = Buffer.from(typeof sent === 'string' ? sent : '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AttestryError(
      'E_FORBIDDEN',
      `a ${request.method} with the console's session cookie needs the ${CSRF_HEADER} header from POST /console/api/login (or send Authorization: Bearer instead)`,
    );
  }
}

/** Set-Cookie for a new session; `secure` when the request came over HTTPS. */
export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return serializeCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure,
    maxAge: Math.max(0, Math.floor(maxAgeSeconds)),
  });
}

export function clearedSessionCookie(secure: boolean): string {
  return serializeCookie(SESSION_COOKIE, '', { httpOnly: true, sameSite: 'strict', path: '/', secure, maxAge: 0 });
}
