/**
 * The CLI's client of the attestry API: bearer token from --token or
 * ATTESTRY_TOKEN, and error replies turned back into the AttestryError the
 * service raised, worded for the command line.
 */
import { AttestryError, ERROR_CODES, type ErrorCode } from '../core/errors.js';
import { parseJsonBounded } from '../core/bounded-json.js';

export interface ClientFlags {
  server: string;
  token?: string;
  tenant?: string;
  json?: boolean;
}

/** Calls the API; an error reply becomes the same AttestryError the server raised. */
export async function call(flags: ClientFlags, method: string, path: string, body?: Buffer, raw = false): Promise<unknown> {
  const token = flags.token ?? process.env['ATTESTRY_TOKEN'];
  if (token === undefined || token === '') throw new AttestryError('E_USAGE', 'give --token or set ATTESTRY_TOKEN');
  const url = new URL(path, flags.server.endsWith('/') ? flags.server : `${flags.server}/`);
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body } : {}),
    });
  } catch (e) {
    throw new AttestryError(
      'E_UNAVAILABLE',
      `cannot reach ${url.origin}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`,
    );
  }
  const text = await response.text();
  if (raw && response.ok) return text;
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : parseJsonBounded(text, { what: 'server reply' });
  } catch {
    parsed = text;
  }
  if (!response.ok) {
    const err = parsed as { code?: string; message?: string } | undefined;
    const code = err?.code !== undefined && err.code in ERROR_CODES ? (err.code as ErrorCode) : 'E_INTERNAL';
    throw new AttestryError(code, `${method} ${url.pathname}: ${response.status} ${cliWording(err?.message ?? text.slice(0, 200))}`);
  }
  return parsed;
}

/** The server words its hints for HTTP clients; on the command line the same choice is a flag. */
export function cliWording(serverMessage: string): string {
  return serverMessage.replace(/\?tenant=ID( or the X-Attestry-Tenant header)?/g, '--tenant ID');
}
