/**
 * Connection-level limits: timeouts for requests that never finish and caps
 * on open connections, so one slow or greedy client cannot hold the server.
 * Node's defaults let a `POST` with `Content-Length: 100` and no body sit
 * until the kernel gives up, and accept connections until file descriptors
 * run out (then /healthz fails too).
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { AttestryConfig } from '../core/config.js';
import type { ErrorCode } from '../core/errors.js';

type ServerLimits = AttestryConfig['Server'];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The media type a route takes when it is not application/json (named in its 415 replies). */
    accepts?: string;
  }
}

/**
 * Node checks header and request deadlines on a timer (30 s by default), so a
 * 2 s timeout could take 32 s to fire. Check often enough that a deadline
 * fires within a quarter of itself, but not more often than every 25 ms.
 */
export function checkingInterval(limits: Pick<ServerLimits, 'HeadersTimeoutMs' | 'RequestTimeoutMs'>): number {
  return Math.max(25, Math.min(30_000, Math.floor(Math.min(limits.HeadersTimeoutMs, limits.RequestTimeoutMs) / 4)));
}

/** IPv4 clients on a dual-stack socket appear as `::ffff:a.b.c.d`; count them as `a.b.c.d`. */
function clientOf(socket: Socket): string {
  const address = socket.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** A complete HTTP/1.1 reply in the `{code, message}` shape, for sockets no HTTP parser owns. */
function rawReply(status: number, code: ErrorCode, message: string, extra: Record<string, string> = {}): string {
  const body = JSON.stringify({ code, message });
  const headers = {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
    ...extra,
  };
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n${body}`;
}

export interface ConnectionCounts {
  readonly total: number;
  readonly clients: number;
}

/**
 * Admits a connection to the HTTP parser only while the client (by IP) and
 * the server are under their caps; otherwise answers 503 itself and closes.
 * Node's own `connection` listener is moved behind this gate, so a refused
 * socket never reaches the HTTP machinery.
 */
export function gateConnections(
  server: Server,
  limits: Pick<ServerLimits, 'MaxConnections' | 'MaxConnectionsPerClient'>,
): () => ConnectionCounts {
  const perClient = new Map<string, number>();
  let total = 0;
  const admitted = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const client = clientOf(socket);
    const mine = perClient.get(client) ?? 0;
    const refusal =
      mine >= limits.MaxConnectionsPerClient
        ? `too many connections from ${client}: at most ${limits.MaxConnectionsPerClient} at once (Server.MaxConnectionsPerClient); reuse keep-alive connections or retry later`
        : total >= limits.MaxConnections
          ? `the server has ${total} connections open, its limit (Server.MaxConnections); retry later`
          : undefined;
    if (refusal !== undefined) {
      refuse(socket, refusal);
      return;
    }
    total++;
    perClient.set(client, mine + 1);
    socket.once('close', () => {
      total--;
      const left = (perClient.get(client) ?? 1) - 1;
      if (left <= 0) perClient.delete(client);
      else perClient.set(client, left);
    });
    for (const listener of admitted) listener.call(server, socket);
  });
  return () => ({ total, clients: perClient.size });
}

function refuse(socket: Socket, message: string): void {
  socket.on('error', () => undefined);
  // Read and drop what the client sends, so closing does not turn into a reset before it reads the reply.
  socket.resume();
  socket.end(rawReply(503, 'E_UNAVAILABLE', message, { 'Retry-After': '1' }));
  socket.setTimeout(2_000, () => socket.destroy());
}

/** Fastify `serverFactory`: a Node HTTP server with attestry's timeouts and connection caps. */
export function limitedServerFactory(limits: ServerLimits): (handler: (req: IncomingMessage, res: ServerResponse) => void) => Server {
  return (handler) => {
    const server = createServer(
      {
        // Whole request (headers and body) and headers alone; Node answers 408 when either passes.
        requestTimeout: limits.RequestTimeoutMs,
        headersTimeout: limits.HeadersTimeoutMs,
        keepAliveTimeout: limits.KeepAliveTimeoutMs,
        connectionsCheckingInterval: checkingInterval(limits),
        maxHeaderSize: limits.MaxHeaderBytes,
      },
      handler,
    );
    // A socket with no traffic either way (e.g. a client that stopped reading a reply).
    server.setTimeout(limits.IdleTimeoutMs);
    gateConnections(server, limits);
    return server;
  };
}

/**
 * Errors Node raises before a request exists (timeouts, oversized headers,
 * malformed HTTP), answered in the `{code, message}` shape of every other reply.
 */
export function clientErrorHandler(limits: ServerLimits): (error: Error & { code?: string }, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    let reply: string;
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      reply = rawReply(
        408,
        'E_TIMEOUT',
        `the request was not received in time: headers within ${limits.HeadersTimeoutMs} ms (Server.HeadersTimeoutMs), the whole request within ${limits.RequestTimeoutMs} ms (Server.RequestTimeoutMs)`,
      );
    } else if (error.code === 'HPE_HEADER_OVERFLOW') {
      reply = rawReply(
        431,
        'E_PAYLOAD_TOO_LARGE',
        `the request line and headers are larger than ${limits.MaxHeaderBytes} bytes (Server.MaxHeaderBytes); shorten the URL or the headers`,
      );
    } else {
      reply = rawReply(400, 'E_INVALID_INPUT', `malformed HTTP request (${error.code ?? 'parse error'})`);
    }
    // As Node's own handler: never write into a reply already under way on this socket.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
    if (socket.writable && inFlight?.headersSent !== true) socket.write(reply);
    socket.destroy();
  };
}

/** Fastify's framework errors (bad URL encoding, over-long path parameters) in the `{code, message}` shape. */
export function frameworkErrors(maxParamLength: number): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
    if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
      void reply.code(414).send({
        code: 'E_INVALID_INPUT',
        message: `a path segment of ${shown} is longer than ${maxParamLength} characters; no attestry id is that long`,
      });
    } else if (error.code === 'FST_ERR_BAD_URL') {
      void reply.code(400).send({ code: 'E_INVALID_INPUT', message: `the URL path ${shown} is not valid: check its percent-encoding` });
    } else {
      void reply.code(error.statusCode ?? 400).send({ code: 'E_INVALID_INPUT', message: error.message });
    }
  };
}
