/**
 * The console's one way to the server: same-origin fetch with the session
 * cookie (HttpOnly: this code never sees the token) and, on every call that
 * changes state, the session's CSRF token as X-CSRF-Token. The CSRF token
 * lives in this module's memory only.
 */
let csrfToken = '';

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** A reply that was not 2xx: the server's error code and message, as it sent them. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function errorOf(status: number, body: unknown, fallback: string): ApiError {
  if (typeof body === 'object' && body !== null) {
    const { code, message } = body as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && typeof message === 'string') return new ApiError(status, code, message);
  }
  return new ApiError(status, `HTTP_${status}`, fallback);
}

async function call(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = csrfToken;
  const init: RequestInit = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) init.body = JSON.stringify(body);
  return fetch(path, init);
}

async function parsed(r: Response): Promise<unknown> {
  const text = await r.text();
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The reply's JSON, typed by the caller (the server's OpenAPI document at /docs is the contract). */
export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const r = await call(method, path, body);
  const data = await parsed(r);
  if (!r.ok) throw errorOf(r.status, data, `${method} ${path} answered ${r.status}`);
  return data as T;
}

export async function apiText(path: string): Promise<string> {
  const r = await call('GET', path);
  const text = await r.text();
  if (!r.ok) throw errorOf(r.status, safeJson(text), `GET ${path} answered ${r.status}`);
  return text;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

export const q = encodeURIComponent;

export function messageOf(e: unknown): string {
  if (e instanceof ApiError) return `${e.message} (${e.code})`;
  return e instanceof Error ? e.message : String(e);
}
