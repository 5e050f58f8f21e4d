/**
 * The one HTTP client attestry talks to servers with (the CLI's API client,
 * the transparency-log client). Every call has a deadline for the reply
 * headers and another for the whole body, so a server that stops answering
 * cannot hang a command; replies are read up to a byte limit; and an error
 * reply is decoded from its WireError, keeping only the codes this client's
 * policy trusts the server with.
 */
import { Readable } from 'node:stream';
import { parseJsonBounded } from './bounded-json.js';
import { AttestryError, fromWire, isAttestryError, isErrorCode, type ErrorCode } from './errors.js';

export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;
/** Far above any reply attestry sends (a stored document is at most Server.BodyLimitBytes, 4 MiB by default). */
export const DEFAULT_MAX_REPLY_BYTES = 64 * 1024 * 1024;

/** Which of a server's error codes a client passes on to its caller. */
export interface ErrorPolicy {
  /** Codes kept as the server sent them; `known` keeps every code this build knows (an unknown one is E_INTERNAL). */
  readonly keep: 'known' | readonly ErrorCode[];
  /** What any other code, or an error reply that is not a WireError, becomes. */
  readonly otherwise: ErrorCode;
  /** Rewords the server's message for this client's users. */
  readonly reword?: (message: string) => string;
  /** Name the query string in messages; off where a query may carry what the message should not repeat. */
  readonly showQuery?: boolean;
}

export interface HttpClientOptions {
  /** Connect plus reply headers, in ms (default 30 s). */
  readonly timeoutMs?: number;
  /** The whole reply body once the headers are in, in ms (default 30 s). */
  readonly bodyTimeoutMs?: number;
  /** Largest reply body read, in bytes (default 64 MiB). */
  readonly maxReplyBytes?: number;
  readonly errors?: ErrorPolicy;
  /** For tests and proxies; default the global fetch. */
  readonly fetch?: typeof fetch;
}

export interface HttpRequest {
  /**
   * An async iterable is sent as it is produced (chunked), never held whole;
   * while it is being sent, the reply deadline counts from the last chunk
   * sent, so a long upload is not cut off by it.
   */
  readonly body?: string | Buffer | AsyncIterable<Uint8Array>;
  readonly headers?: Readonly<Record<string, string>>;
  /** Completes "cannot reach https://log.example": e.g. `to send the cosignature`. */
  readonly purpose?: string;
}

/** A successful reply whose body is read as it arrives (downloads of any size). */
export interface HttpStreamReply {
  readonly status: number;
  readonly headers: Headers;
  /** Each chunk must come within the body deadline of the one before; a broken transfer throws E_UNAVAILABLE. */
  readonly body: AsyncIterable<Uint8Array>;
}

export interface HttpReply {
  readonly method: string;
  readonly url: URL;
  readonly status: number;
  readonly ok: boolean;
  readonly body: Buffer;
  text(): string;
}

/** One deadline, re-armed as a transfer makes progress; aborts the request when it passes. */
class Deadline {
  readonly #controller = new AbortController();
  readonly #onExpire: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  timedOut = false;

  constructor(onExpire?: () => void) {
    this.#onExpire = onExpire;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  rearm(ms: number): void {
    this.clear();
    this.#timer = setTimeout(() => {
      this.timedOut = true;
      this.#controller.abort();
      this.#onExpire?.();
    }, ms);
    this.#timer.unref();
  }

  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

const DEFAULT_POLICY: ErrorPolicy = { keep: 'known', otherwise: 'E_INTERNAL' };

function causeText(e: unknown): string {
  const err = e as Error;
  return err.cause instanceof Error ? err.cause.message : err instanceof Error ? err.message : String(e);
}

export class HttpClient {
  readonly base: URL;
  readonly #timeoutMs: number;
  readonly #bodyTimeoutMs: number;
  readonly #maxReplyBytes: number;
  readonly #policy: ErrorPolicy;
  readonly #fetchImpl: typeof fetch;

  constructor(server: string, options: HttpClientOptions = {}) {
    this.base = new URL(server.endsWith('/') ? server : `${server}/`);
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
    this.#bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
    this.#maxReplyBytes = options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
    this.#policy = options.errors ?? DEFAULT_POLICY;
    this.#fetchImpl = options.fetch ?? fetch;
  }

  /** `path` relative to the base URL, as the client names it in messages. */
  where(url: URL): string {
    return this.#policy.showQuery === true ? `${url.pathname}${url.search}` : url.pathname;
  }

  /** Sends a request and reads the whole reply, whatever its status. Throws only when there is no complete reply. */
  async request(method: string, path: string, request: HttpRequest = {}): Promise<HttpReply> {
    const { url, response, timer } = await this.#fetch(method, path, request);
    timer.rearm(this.#bodyTimeoutMs);
    try {
      const body = await this.#readBody(method, url, response, () => timer.timedOut);
      return { method, url, status: response.status, ok: response.ok, body, text: () => body.toString('utf8') };
    } finally {
      timer.clear();
    }
  }

  /**
   * Sends a request and hands back a successful reply's body as a stream;
   * an error status throws the server's error (read bounded, as `send`).
   */
  async stream(method: string, path: string, request: HttpRequest = {}): Promise<HttpStreamReply> {
    const { url, response, timer } = await this.#fetch(method, path, request);
    if (!response.ok) {
      timer.rearm(this.#bodyTimeoutMs);
      try {
        const body = await this.#readBody(method, url, response, () => timer.timedOut);
        throw this.errorOf({ method, url, status: response.status, ok: false, body, text: () => body.toString('utf8') });
      } finally {
        timer.clear();
      }
    }
    timer.clear();
    return { status: response.status, headers: response.headers, body: this.#chunks(method, url, response) };
  }

  async #fetch(method: string, path: string, request: HttpRequest): Promise<{ url: URL; response: Response; timer: Deadline }> {
    const url = new URL(path, this.base);
    const timer = new Deadline();
    timer.rearm(this.#timeoutMs);
    const streaming = request.body !== undefined && typeof request.body !== 'string' && !Buffer.isBuffer(request.body);
    let body: string | Buffer | ReadableStream | undefined;
    if (streaming) {
      const source = request.body;
      const ms = this.#timeoutMs;
      body = Readable.toWeb(
        Readable.from(
          (async function* () {
            for await (const chunk of source) {
              timer.rearm(ms);
              yield chunk;
            }
            timer.rearm(ms);
          })(),
        ),
      ) as ReadableStream;
    } else {
      body = request.body;
    }
    try {
      const response = await this.#fetchImpl(url, {
        method,
        signal: timer.signal,
        ...(request.headers ? { headers: { ...request.headers } } : {}),
        ...(body !== undefined ? { body } : {}),
        // Node's fetch sends a stream body only half-duplex, and must be told so.
        ...(streaming ? { duplex: 'half' } : {}),
      });
      return { url, response, timer };
    } catch (e) {
      timer.clear();
      if (isAttestryError(e)) throw e; // the body's own source failed (e.g. a file that cannot be read)
      if (timer.timedOut) throw this.#timeout(method, url, `no reply within ${this.#timeoutMs / 1000} s`);
      const purpose = request.purpose === undefined ? '' : ` ${request.purpose}`;
      throw new AttestryError('E_UNAVAILABLE', `cannot reach ${url.origin}${purpose}: ${causeText(e)}`, { cause: e });
    }
  }

  async *#chunks(method: string, url: URL, response: Response): AsyncGenerator<Uint8Array> {
    if (response.body === null) return;
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const timer = new Deadline(() => void reader.cancel().catch(() => undefined));
    try {
      for (;;) {
        timer.rearm(this.#bodyTimeoutMs);
        let next: Awaited<ReturnType<typeof reader.read>>;
        try {
          next = await reader.read();
        } catch (e) {
          if (timer.timedOut) throw this.#timeout(method, url, `no data for ${this.#bodyTimeoutMs / 1000} s`);
          throw new AttestryError('E_UNAVAILABLE', `the reply to ${method} ${url.origin}${this.where(url)} broke off: ${causeText(e)}`, {
            cause: e,
          });
        }
        if (next.done) return;
        yield next.value;
      }
    } finally {
      timer.clear();
      reader.releaseLock();
    }
  }

  /** As request, but an error status throws the server's error (as the policy keeps it). */
  async send(method: string, path: string, request: HttpRequest = {}): Promise<HttpReply> {
    const reply = await this.request(method, path, request);
    if (!reply.ok) throw this.errorOf(reply);
    return reply;
  }

  /** As send, parsing the reply as bounded JSON; a reply that is not JSON is E_UNAVAILABLE (the server is not the one expected). */
  async json(method: string, path: string, request: HttpRequest = {}): Promise<unknown> {
    const reply = await this.send(method, path, request);
    return parseJsonBounded(reply.body, { what: `reply to ${method} ${path}`, code: 'E_UNAVAILABLE' });
  }

  /** The AttestryError an error reply stands for: its WireError, with the code filtered by the policy. */
  errorOf(reply: HttpReply): AttestryError {
    const text = reply.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : parseJsonBounded(text, { what: 'error reply' });
    } catch {
      parsed = undefined; // not JSON: the text is the message
    }
    const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
    const wire = isObject ? fromWire(parsed) : undefined;
    const keep = this.#policy.keep;
    const code =
      wire !== undefined && (keep === 'known' ? isErrorCode(wire.code) : keep.includes(wire.code)) ? wire.code : this.#policy.otherwise;
    const serverMessage =
      isObject && typeof (parsed as { message?: unknown }).message === 'string' ? (wire as AttestryError).message : text.slice(0, 200);
    const message = this.#policy.reword ? this.#policy.reword(serverMessage) : serverMessage;
    return new AttestryError(
      code,
      `${reply.method} ${this.where(reply.url)}: ${reply.status} ${message}`,
      wire?.details === undefined ? undefined : { details: { ...wire.details } },
    );
  }

  #timeout(method: string, url: URL, what: string): AttestryError {
    return new AttestryError('E_TIMEOUT', `${method} ${url.origin}${this.where(url)}: ${what}`, {
      details: { url: `${url.origin}${this.where(url)}` },
    });
  }

  async #readBody(method: string, url: URL, response: Response, timedOut: () => boolean): Promise<Buffer> {
    const tooLarge = (size?: number): AttestryError =>
      new AttestryError(
        'E_PAYLOAD_TOO_LARGE',
        `the reply to ${method} ${url.origin}${this.where(url)} is ${size === undefined ? '' : `${size} bytes, `}over the ${this.#maxReplyBytes}-byte limit for replies`,
        { details: { maxBytes: this.#maxReplyBytes } },
      );
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (declared > this.#maxReplyBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge(declared);
    }
    if (response.body === null) return Buffer.alloc(0);
    // Node types fetch bodies as ReadableStream<any>; they are byte streams.
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > this.#maxReplyBytes) {
          await reader.cancel().catch(() => undefined);
          throw tooLarge();
        }
        chunks.push(value);
      }
    } catch (e) {
      if (e instanceof AttestryError) throw e;
      if (timedOut()) throw this.#timeout(method, url, `the reply did not complete within ${this.#bodyTimeoutMs / 1000} s`);
      throw new AttestryError('E_UNAVAILABLE', `the reply to ${method} ${url.origin}${this.where(url)} broke off: ${causeText(e)}`, {
        cause: e,
      });
    }
    return Buffer.concat(chunks, total);
  }
}
