/**
 * Request bodies of the Signals uploads, read as streams: a million-edge
 * callgraph or a large fact batch must never be held whole, and both go far
 * past Server.BodyLimitBytes (the JSON API's limit). The bytes on the wire
 * are counted against the Signals limit, Content-Encoding (gzip, zstd) is
 * undone with a bound on the decoded size, and the use case reads what
 * comes out as it arrives.
 */
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { decodeContent } from '../../core/decode-body.js';
import { AttestryError, isAttestryError } from '../../core/errors.js';

/** The form of the body: NDJSON lines or one JSON document. */
export type BodyForm = 'ndjson' | 'json';

/** application/x-ndjson (what the acceptance check and StellaOps agents send), application/ndjson, and JSON Lines. */
const NDJSON_TYPE = /^application\/(?:x-ndjson|ndjson|jsonl|x-jsonlines)\s*(?:;.*)?$/i;
const JSON_TYPE = /^application\/json\s*(?:;.*)?$/i;

/** Named in 415 replies (the app's error handler reads `config.accepts`). */
export const SIGNALS_ACCEPTS = 'application/x-ndjson (NDJSON lines) or application/json (one JSON document)';

/**
 * Replaces the scope's parsers (the app's buffer-and-parse JSON parser
 * among them) with ones that hand the route the request stream unread.
 * Without `parseAs`, Fastify applies no body limit: readBody does.
 */
export function streamBodyParsers(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  const passStream = (_request: FastifyRequest, payload: unknown, done: (err: Error | null, body?: unknown) => void): void =>
    done(null, payload);
  scope.addContentTypeParser(NDJSON_TYPE, passStream);
  scope.addContentTypeParser(JSON_TYPE, passStream);
}

/**
 * The body's form from its Content-Type. Only the parsers above let a body
 * through (Fastify answers 415 for any other type, naming SIGNALS_ACCEPTS),
 * so a request that gets here without one had no body.
 */
export function bodyForm(request: FastifyRequest): BodyForm {
  const type = request.headers['content-type'] ?? '';
  if (NDJSON_TYPE.test(type)) return 'ndjson';
  if (JSON_TYPE.test(type)) return 'json';
  throw noBody();
}

function noBody(): AttestryError {
  return new AttestryError('E_INVALID_INPUT', `the request has no body: send it as ${SIGNALS_ACCEPTS}`);
}

function isReadable(value: unknown): value is Readable {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value && typeof (value as Readable).pipe === 'function';
}

export interface BodyLimit {
  readonly maxBytes: number;
  /** How the limit is named in a 413, e.g. `the Signals callgraph limit`. */
  readonly name: string;
}

function tooLarge(what: string, limit: BodyLimit, stage: string): AttestryError {
  return new AttestryError(
    'E_PAYLOAD_TOO_LARGE',
    `${what} is larger than ${limit.maxBytes} bytes ${stage}(${limit.name}); split it or compress it less aggressively`,
    { details: { maxBytes: limit.maxBytes } },
  );
}

/** Counts the bytes on the wire; past the limit the upload stops, whatever the encoding. */
async function* counted(source: AsyncIterable<Uint8Array>, what: string, limit: BodyLimit): AsyncIterable<Uint8Array> {
  let total = 0;
  for await (const chunk of source) {
    total += chunk.byteLength;
    if (total > limit.maxBytes) throw tooLarge(what, limit, 'as sent ');
    yield chunk;
  }
}

/**
 * The decoded body of a Signals upload as a byte stream. A declared
 * Content-Length over the limit is refused before a byte is read; an
 * unknown Content-Encoding is refused by decodeContent.
 */
export function readBody(request: FastifyRequest, what: string, limit: BodyLimit): AsyncIterable<Uint8Array> {
  const raw = request.body;
  if (!isReadable(raw)) {
    // Fastify parses nothing when a request has neither Content-Type nor body.
    throw noBody();
  }
  const declared = Number(request.headers['content-length'] ?? Number.NaN);
  if (declared > limit.maxBytes) throw tooLarge(what, limit, '');
  const encoding = request.headers['content-encoding'];
  return decodeContent(counted(raw, what, limit), encoding, limit.maxBytes, what);
}

/**
 * Whether `e` is decodeContent's refusal of a Content-Encoding: the route
 * answers it 415 (RFC 9110 §15.5.16), as it answers a wrong Content-Type.
 */
export function isUnsupportedEncoding(e: unknown): e is AttestryError {
  return isAttestryError(e) && e.code === 'E_INVALID_INPUT' && e.details?.['contentEncoding'] !== undefined;
}

/**
 * Whether the request body was read to its end (a reply sent before then
 * must close the connection). A body destroyed before its end (a refused
 * upload whose reader stopped) is not: the rest of it is still on the
 * socket, which Node drops after the reply, so the reply must say so.
 */
export function bodyFinished(request: FastifyRequest): boolean {
  const raw = request.body;
  return !isReadable(raw) || raw.readableEnded;
}
