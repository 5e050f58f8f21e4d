import type { Command } from 'commander';
/**
 * The CLI's client of the attestry API: bearer token from --token or
 * ATTESTRY_TOKEN, and error replies turned back into the AttestryError the
 * service raised, worded for the command line.
 */
import { AttestryError } from '../core/errors.js';
import { parseJsonBounded } from '../core/bounded-json.js';
import { HttpClient, type HttpReply, type HttpStreamReply } from '../core/http-client.js';

export interface ClientFlags {
  server: string;
  token?: string;
  tenant?: string;
  json?: boolean;
}

/** The server words its hints for HTTP clients; on the command line the same choice is a flag. */
export function cliWording(serverMessage: string): string {
  return serverMessage.replace(/\?tenant=ID( or the X-Attestry-Tenant header)?/g, '--tenant ID');
}

/** Messages name the path only: the query carries tenant names, which the server's hint already words as --tenant. */
function clientFor(flags: ClientFlags, timeoutMs?: number): HttpClient {
  return new HttpClient(flags.server, {
    errors: { keep: 'known', otherwise: 'E_INTERNAL', reword: cliWording },
    ...(timeoutMs === undefined ? {} : { timeoutMs, bodyTimeoutMs: timeoutMs }),
  });
}

function bearer(flags: ClientFlags): string {
  const token = flags.token ?? process.env['ATTESTRY_TOKEN'];
  if (token === undefined || token === '') throw new AttestryError('E_USAGE', 'give --token or set ATTESTRY_TOKEN');
  return `Bearer ${token}`;
}

async function send(flags: ClientFlags, method: string, path: string, body?: Buffer, timeoutMs?: number): Promise<HttpReply> {
  const authorization = bearer(flags);
  return clientFor(flags, timeoutMs).send(method, path, {
    headers: { authorization, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body } : {}),
  });
}

/**
 * Calls the API and parses the JSON reply (a reply that is not JSON comes back
 * as its text). `timeoutMs` for calls that wait on slow work (a model run).
 */
export async function callJson(flags: ClientFlags, method: string, path: string, body?: Buffer, timeoutMs?: number): Promise<unknown> {
  const text = (await send(flags, method, path, body, timeoutMs)).text();
  if (text === '') return undefined;
  try {
    return parseJsonBounded(text, { what: 'server reply' });
  } catch {
    return text;
  }
}

/** As callJson, with the reply's status (201 created or 200 already there). */
export async function callJsonStatus(
  flags: ClientFlags,
  method: string,
  path: string,
  body?: Buffer,
): Promise<{ status: number; value: unknown }> {
  const reply = await send(flags, method, path, body);
  return {
    status: reply.status,
    value: reply.text() === '' ? undefined : parseJsonBounded(reply.text(), { what: 'server reply', code: 'E_UNAVAILABLE' }),
  };
}

/** Calls the API and returns the reply's bytes as text, unparsed (`evidence get --raw`). */
export async function callText(flags: ClientFlags, method: string, path: string): Promise<string> {
  return (await send(flags, method, path)).text();
}

/** An upload whose body streams (a callgraph, a fact batch), with its own Content-Type (and Content-Encoding); the JSON reply parsed. */
export async function uploadJson(
  flags: ClientFlags,
  path: string,
  body: AsyncIterable<Uint8Array>,
  headers: Readonly<Record<string, string>>,
): Promise<unknown> {
  const reply = await clientFor(flags).send('POST', path, { headers: { authorization: bearer(flags), ...headers }, body });
  return parseJsonBounded(reply.body, { what: 'server reply', code: 'E_UNAVAILABLE' });
}

/** A GET whose reply streams (a callgraph, a batch, a fact stream): headers first, then the body as it arrives. */
export async function download(flags: ClientFlags, path: string): Promise<HttpStreamReply> {
  return clientFor(flags).stream('GET', path, { headers: { authorization: bearer(flags) } });
}

/** `--server`, `--token` and `--json`: what every command that talks to the service takes. */
export function withClientOptions(cmd: Command): Command {
  return cmd
    .option('--server <url>', 'attestry service URL; also ATTESTRY_SERVER', process.env['ATTESTRY_SERVER'] ?? 'http://127.0.0.1:8080')
    .option('--token <token>', 'API token; better: ATTESTRY_TOKEN (keeps it out of the process list)')
    .option('--json', 'machine-readable output');
}

/** A server reply as an object carrying `fields`; anything else means this is not an attestry service answering. */
export function replyWith(value: unknown, what: string, fields: readonly string[]): Record<string, unknown> {
  const obj = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  const missing = obj === undefined ? fields : fields.filter((f) => !(f in obj));
  if (missing.length > 0 || obj === undefined)
    throw new AttestryError('E_UNAVAILABLE', `the server's ${what} reply lacks ${missing.join(', ')}: is --server an attestry service?`);
  return obj;
}
