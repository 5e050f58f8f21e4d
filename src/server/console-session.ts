import { createHash, timingSafeEqual } from 'node:crypto';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import type { FastifyRequest } from 'fastify';
import { AttestryError } from '../core/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The one route that takes the console's cookie without its CSRF header (it hands the page that header's value). */
    csrfExempt?: boolean;
  }
}

/**
 * The web console's session: the API token itself, in an HttpOnly,
 * SameSite=Strict cookie set by POST /console/api/login (never readable by
 * the page's scripts, never in localStorage). A request that arrives with the
 * cookie must also carry X-CSRF-Token — every request, reads too (a GET can
 * write: `GET /signals/reachability?attest=true` signs and logs a verdict) —
 * a one-way hash of the token that the page learnt from the login reply.
 * Another site, a sibling subdomain included (SameSite does not separate
 * those), can make a browser send the cookie but can read neither it nor the
 * hash. Only GET /console/api/session, which hands the page its CSRF token
 * after a reload, takes the cookie alone (route config `csrfExempt`; it
 * changes nothing, and another origin cannot read its reply). Stateless, so
 * any node of a cluster (and a restarted one) accepts the session.
 *
 * Over HTTPS (or behind a proxy that says X-Forwarded-Proto: https) the
 * cookie is `__Host-attestry_session`, Secure: a `__Host-` cookie cannot be
 * set by a sibling subdomain or for a narrower path, so nobody can plant
 * their own session in a victim's browser. A spoofed X-Forwarded-Proto only
 * makes the sender's own cookie Secure.
 */
export const SESSION_COOKIE = 'attestry_session';
export const SECURE_SESSION_COOKIE = '__Host-attestry_session';
export const CSRF_HEADER = 'x-csrf-token';
/** A console session lasts at most this long (or until the token expires, if sooner). */
export const SESSION_MAX_AGE_SECONDS = 12 * 3600;
/** The longest cookie header looked at: a token is 74 characters. */
const MAX_COOKIE_HEADER = 8192;

export function csrfTokenFor(token: string): string {
  return createHash('sha256').update('attestry-console-csrf\0').update(token, 'utf8').digest('base64url');
}

/** The session token from the request's cookie, if it has one. */
export function sessionTokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined || header.length > MAX_COOKIE_HEADER) return undefined;
  const cookies = parseCookies(header);
  const value = cookies[SECURE_SESSION_COOKIE] ?? cookies[SESSION_COOKIE];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * The session token when the cookie is what authenticates the request: an
 * Authorization header, when present, wins over the cookie (the one place
 * that rule is written; the auth hook and /session both ask here).
 */
export function cookieCredential(request: FastifyRequest): string | undefined {
  return request.headers.authorization === undefined ? sessionTokenOf(request) : undefined;
}

/** Refuses a cookie-authenticated request without the session's CSRF token (unless its route is csrfExempt). */
export function checkCsrf(request: FastifyRequest, token: string): void {
  if (request.routeOptions.config.csrfExempt === true) return;
  const sent = request.headers[CSRF_HEADER];
  const expected = Buffer.from(csrfTokenFor(token));
  const given = Buffer.from(typeof sent === 'string' ? sent : '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AttestryError(
      'E_FORBIDDEN',
      `a request with the console's session cookie needs the ${CSRF_HEADER} header from POST /console/api/login (or send Authorization: Bearer instead)`,
    );
  }
}

/** Whether the browser reached us over HTTPS (directly, or through a proxy that ended TLS). */
export function overHttps(request: FastifyRequest): boolean {
  const forwarded = request.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return request.protocol === 'https' || first === 'https';
}

/** Set-Cookie for a new session; `secure` when the request came over HTTPS. */
export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return serializeCookie(secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure,
    maxAge: Math.max(0, Math.floor(maxAgeSeconds)),
  });
}

export function clearedSessionCookie(secure: boolean): string {
  return serializeCookie(secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE, '', {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure,
    maxAge: 0,
  });
}
