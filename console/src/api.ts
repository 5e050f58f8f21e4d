/**
 * The console's one way to the server: same-origin fetch with the session
 * cookie (HttpOnly: this code never sees the token) and, on every call, the
 * session's CSRF token as X-CSRF-Token (the server takes the cookie alone
 * nowhere but GET /console/api/session). The CSRF token lives in this
 * module's memory only; a 401 (the session ended) hands the page back to
 * the sign-in form.
 */
let csrfToken = '';
let onUnauthenticated: () => void = () => undefined;

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
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
  if (csrfToken !== '') headers['x-csrf-token'] = csrfToken;
  const init: RequestInit = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) init.body = JSON.stringify(body);
  const r = await fetch(path, init);
  if (r.status === 401 && csrfToken !== '') onUnauthenticated();
  return r;
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

/** Saves what a GET answers as a file (a plain link could not carry the CSRF header). */
export async function download(path: string, filename: string): Promise<void> {
  const r = await call('GET', path);
  if (!r.ok) throw errorOf(r.status, await parsed(r), `GET ${path} answered ${r.status}`);
  const url = URL.createObjectURL(await r.blob());
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = filename;
    a.click();
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}

export const q = encodeURIComponent;

export function messageOf(e: unknown): string {
  if (e instanceof ApiError) return `${e.message} (${e.code})`;
  return e instanceof Error ? e.message : String(e);
}
