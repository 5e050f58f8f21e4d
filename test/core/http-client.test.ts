/** core/http-client against a real local HTTP server: deadlines, reply limit, error decoding and code policy. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { expectRejects } from '../helpers/model.js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AttestryError, ErrorCode } from '../../src/core/errors.js';
import { HttpClient } from '../../src/core/http-client.js';
import { LogClient } from '../../src/tlog/client.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const routes: Record<string, Handler> = {
  '/ok': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello":"world"}'),
  '/echo': (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () =>
      res
        .writeHead(200)
        .end(JSON.stringify({ method: req.method, auth: req.headers.authorization, body: Buffer.concat(chunks).toString() })),
    );
  },
  // Accepts the request and never answers.
  '/silent': () => undefined,
  // Headers, a first chunk, then nothing.
  '/stalls': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"partial":');
  },
  '/big-declared': (_req, res) => res.writeHead(200, { 'content-length': '5000' }).end('x'.repeat(5000)),
  '/big-chunked': (_req, res) => {
    res.writeHead(200);
    for (let i = 0; i < 10; i++) res.write('y'.repeat(500));
    res.end();
  },
  '/not-found': (_req, res) =>
    res
      .writeHead(404, { 'content-type': 'application/json' })
      .end(JSON.stringify({ code: 'E_NOT_FOUND', message: 'no entry 7', details: { index: 7 } })),
  '/forbidden': (_req, res) => res.writeHead(403).end(JSON.stringify({ code: 'E_FORBIDDEN', message: 'role reviewer may not' })),
  '/unknown-code': (_req, res) => res.writeHead(500).end(JSON.stringify({ code: 'E_FROM_THE_FUTURE', message: 'new failure' })),
  '/html': (_req, res) => res.writeHead(502).end('<html>bad gateway</html>'),
  '/hint': (_req, res) =>
    res
      .writeHead(400)
      .end(JSON.stringify({ code: 'E_USAGE', message: 'several tenants: say which with ?tenant=ID or the X-Attestry-Tenant header' })),
  '/not-json': (_req, res) => res.writeHead(200).end('plain text'),
};

const server = createServer((req, res) => {
  const handler = routes[new URL(req.url ?? '/', 'http://x').pathname];
  if (handler) handler(req, res);
  else res.writeHead(404).end();
});
let base = '';

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const rejectsWith = (promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<AttestryError> =>
  expectRejects(promise, code, ...(message === undefined ? [] : [message]));

describe('HttpClient', () => {
  test('JSON replies, request bodies and headers', async () => {
    const client = new HttpClient(base);
    assert.deepEqual(await client.json('GET', 'ok'), { hello: 'world' });
    const echo = await client.json('POST', 'echo', { body: 'payload', headers: { authorization: 'Bearer t' } });
    assert.deepEqual(echo, { method: 'POST', auth: 'Bearer t', body: 'payload' });
    // A base URL with a path keeps it.
    assert.equal(new HttpClient(`${base}/api`).base.href, `${base}/api/`);
    await rejectsWith(client.json('GET', 'not-json'), 'E_UNAVAILABLE', /reply to GET not-json is not valid JSON/);
  });

  test('a server that never answers → E_TIMEOUT naming the URL, after the configured time', async () => {
    const client = new HttpClient(base, { timeoutMs: 300 });
    const started = Date.now();
    const e = await rejectsWith(
      client.request('GET', 'silent?x=1'),
      'E_TIMEOUT',
      /^GET http:\/\/127\.0\.0\.1:\d+\/silent: no reply within 0\.3 s$/,
    );
    assert.ok(Date.now() - started < 10_000, 'gave up at the deadline');
    assert.match(String(e.details?.['url']), /\/silent$/);
  });

  test('a reply body that stops coming → E_TIMEOUT', async () => {
    const client = new HttpClient(base, { bodyTimeoutMs: 300 });
    await rejectsWith(client.request('GET', 'stalls'), 'E_TIMEOUT', /\/stalls: the reply did not complete within 0\.3 s/);
  });

  test('an oversized reply is refused, declared or streamed', async () => {
    const client = new HttpClient(base, { maxReplyBytes: 1000 });
    await rejectsWith(client.request('GET', 'big-declared'), 'E_PAYLOAD_TOO_LARGE', /is 5000 bytes, over the 1000-byte limit/);
    await rejectsWith(client.request('GET', 'big-chunked'), 'E_PAYLOAD_TOO_LARGE', /over the 1000-byte limit/);
    const roomy = new HttpClient(base, { maxReplyBytes: 5000 });
    assert.equal((await roomy.request('GET', 'big-chunked')).body.length, 5000);
  });

  test('nobody listening → E_UNAVAILABLE "cannot reach"', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = new HttpClient(`http://127.0.0.1:${port}`);
    await rejectsWith(
      client.request('GET', 'x', { purpose: 'to fetch x' }),
      'E_UNAVAILABLE',
      /^cannot reach http:\/\/127\.0\.0\.1:\d+ to fetch x: /,
    );
  });

  test('an error reply is decoded from its WireError: code, message, details', async () => {
    const client = new HttpClient(base);
    const e = await rejectsWith(client.send('GET', 'not-found'), 'E_NOT_FOUND');
    assert.equal(e.message, 'GET /not-found: 404 no entry 7');
    assert.deepEqual(e.details, { index: 7 });
    // request() itself does not throw on a status.
    const reply = await client.request('GET', 'not-found');
    assert.equal(reply.status, 404);
    assert.equal(reply.ok, false);
    assert.equal(client.errorOf(reply).code, 'E_NOT_FOUND');
  });

  test('the default policy keeps every known code; unknown codes are E_INTERNAL; a non-JSON body is quoted', async () => {
    const client = new HttpClient(base);
    await rejectsWith(client.send('GET', 'forbidden'), 'E_FORBIDDEN', /^GET \/forbidden: 403 role reviewer may not$/);
    await rejectsWith(client.send('GET', 'unknown-code'), 'E_INTERNAL', /500 new failure/);
    await rejectsWith(client.send('GET', 'html'), 'E_INTERNAL', /^GET \/html: 502 <html>bad gateway<\/html>$/);
  });

  test('a narrow policy keeps only its codes; reword and showQuery shape the message', async () => {
    const client = new HttpClient(base, {
      errors: { keep: ['E_NOT_FOUND'], otherwise: 'E_UNAVAILABLE', showQuery: true, reword: (m) => m.replace('?tenant=ID', '--tenant ID') },
    });
    await rejectsWith(client.send('GET', 'not-found?index=7'), 'E_NOT_FOUND', /^GET \/not-found\?index=7: 404 no entry 7$/);
    await rejectsWith(client.send('GET', 'forbidden'), 'E_UNAVAILABLE', /role reviewer may not/);
    await rejectsWith(client.send('GET', 'hint'), 'E_UNAVAILABLE', /say which with --tenant ID or the/);
  });
});

describe('LogClient over HttpClient', () => {
  test('keeps E_NOT_FOUND / E_INVALID_INPUT from a log, maps other codes to E_UNAVAILABLE', async () => {
    const log = new LogClient(base);
    await rejectsWith(log.json('not-found?index=7'), 'E_NOT_FOUND', /^GET \/not-found\?index=7: 404 no entry 7$/);
    await rejectsWith(log.json('forbidden'), 'E_UNAVAILABLE', /^GET \/forbidden: 403 role reviewer may not$/);
    await rejectsWith(log.json('html'), 'E_UNAVAILABLE', /502 <html>/);
    assert.deepEqual(await log.json('ok'), { hello: 'world' });
  });
});
