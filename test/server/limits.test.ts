/** Defect 4 (issue 12): requests that never finish, and clients that open too many connections, over real sockets. */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { checkingInterval } from '../../src/server/limits.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface RawResult {
  readonly text: string;
  readonly ms: number;
  /** The server closed the connection (FIN or reset), rather than the test giving up. */
  readonly closed: boolean;
}

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

/** Opens a socket (optionally from another loopback address), writes `data`, waits for the server to close it. */
function raw(url: string, data: string, options: { localAddress?: string; giveUpMs?: number } = {}): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = connect({ ...hostPort(url), ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    let text = '';
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, ms: performance.now() - t0, closed });
    };
    const timer = setTimeout(() => finish(false), options.giveUpMs ?? 10_000);
    socket.on('connect', () => socket.write(data));
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? finish(true) : reject(e)));
  });
}

/** Opens a socket and waits until it is connected; sends nothing. */
function idle(url: string, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ ...hostPort(url), ...(localAddress ? { localAddress } : {}) });
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function get(url: string, path: string, localAddress?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ ...hostPort(url), path, agent: false, ...(localAddress ? { localAddress } : {}) }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function statusOf(text: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
}

function jsonBodyOf(text: string): { code?: string; message?: string } {
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { code?: string; message?: string };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('connection timeouts (short, configured for the test)', () => {
  let srv: TestServer;
  let token: string;
  before(async () => {
    srv = await startTestServer({
      configure: (c) => {
        c.Server.RequestTimeoutMs = 1_000;
        c.Server.HeadersTimeoutMs = 600;
        c.Server.KeepAliveTimeoutMs = 300;
      },
    });
    await srv.addTenant('acme');
    token = await srv.token('signals-service', ['acme']);
  });
  after(() => srv.stop());

  test('a POST that announces 100 bytes and sends none gets 408 {code, message} and is closed within the request timeout', async () => {
    const r = await raw(
      srv.url,
      `POST /api/v1/attestations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`,
    );
    assert.ok(r.closed, `the server kept the connection open ${r.ms.toFixed(0)} ms`);
    assert.ok(r.ms < 2_500, `closed after ${r.ms.toFixed(0)} ms (limit 1000 ms)`);
    assert.equal(statusOf(r.text), 408, r.text);
    const body = jsonBodyOf(r.text);
    assert.equal(body.code, 'E_TIMEOUT');
    assert.match(body.message ?? '', /Server\.RequestTimeoutMs/);
  });

  test('a body that trickles in slower than the request timeout is cut off', async () => {
    const t0 = performance.now();
    const socket = await idle(srv.url);
    let text = '';
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.write(
      `POST /api/v1/attestations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`,
    );
    const trickle = setInterval(() => socket.writable && socket.write(' '), 100);
    await Promise.race([closed, sleep(5_000)]);
    clearInterval(trickle);
    socket.destroy();
    const ms = performance.now() - t0;
    assert.ok(ms < 3_000, `closed after ${ms.toFixed(0)} ms`);
    assert.equal(statusOf(text), 408, text);
  });

  test('headers that never end get 408 within the headers timeout', async () => {
    const r = await raw(srv.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n');
    assert.ok(r.closed && r.ms < 2_000, `closed=${r.closed} after ${r.ms.toFixed(0)} ms`);
    assert.equal(statusOf(r.text), 408, r.text);
  });

  test('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
    const r = await raw(srv.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.ok(r.closed && r.ms < 1_500, `closed=${r.closed} after ${r.ms.toFixed(0)} ms`);
    assert.equal(statusOf(r.text), 200, r.text);
  });
});

describe('connection caps', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({
      configure: (c) => {
        c.Server.MaxConnectionsPerClient = 5;
        c.Server.MaxConnections = 8;
      },
    });
  });
  after(() => srv.stop());

  test('one client over its cap is refused with 503 {code, message}; a fresh client still gets /healthz', async () => {
    const hogs = await Promise.all(Array.from({ length: 5 }, () => idle(srv.url)));
    try {
      const refused = await raw(srv.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal(statusOf(refused.text), 503, refused.text);
      const body = jsonBodyOf(refused.text);
      assert.equal(body.code, 'E_UNAVAILABLE');
      assert.match(body.message ?? '', /too many connections from 127\.0\.0\.1: at most 5 .*Server\.MaxConnectionsPerClient/);
      const fresh = await get(srv.url, '/healthz', '127.0.0.2');
      assert.equal(fresh.status, 200, fresh.body);
      // A closed connection frees its slot.
      const firstHog = hogs.shift() as Socket;
      const gone = new Promise((r) => firstHog.once('close', r));
      firstHog.destroy();
      await gone;
      await sleep(50);
      assert.equal((await get(srv.url, '/healthz')).status, 200);
    } finally {
      for (const s of hogs) s.destroy();
    }
  });

  test('past the server-wide cap every new connection is refused, and the slots come back', async () => {
    const a = await Promise.all(Array.from({ length: 5 }, () => idle(srv.url, '127.0.0.3')));
    const b = await Promise.all(Array.from({ length: 3 }, () => idle(srv.url, '127.0.0.4')));
    try {
      const refused = await raw(srv.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', { localAddress: '127.0.0.5' });
      assert.equal(statusOf(refused.text), 503, refused.text);
      assert.match(jsonBodyOf(refused.text).message ?? '', /Server\.MaxConnections\b/);
    } finally {
      for (const s of [...a, ...b]) s.destroy();
    }
    await sleep(100);
    assert.equal((await get(srv.url, '/healthz', '127.0.0.5')).status, 200);
  });
});

describe('timeout settings', () => {
  test('are in the config with defaults, env overrides and cross-checks', () => {
    const d = loadConfig({ env: {} }).Server;
    assert.deepEqual(
      [
        d.RequestTimeoutMs,
        d.HeadersTimeoutMs,
        d.KeepAliveTimeoutMs,
        d.IdleTimeoutMs,
        d.MaxHeaderBytes,
        d.MaxConnections,
        d.MaxConnectionsPerClient,
      ],
      [60_000, 10_000, 5_000, 60_000, 16_384, 1_000, 500],
    );
    assert.equal(loadConfig({ env: { ATTESTRY__Server__RequestTimeoutMs: '25000' } }).Server.RequestTimeoutMs, 25_000);
    assert.throws(
      () => loadConfig({ env: { ATTESTRY__Server__HeadersTimeoutMs: '90000' } }),
      /environment ATTESTRY__Server__HeadersTimeoutMs: Server\.HeadersTimeoutMs: must not exceed Server\.RequestTimeoutMs/,
    );
    assert.throws(() => loadConfig({ env: { ATTESTRY__Server__MaxConnectionsPerClient: '0' } }), /Server\.MaxConnectionsPerClient/);
    // Deadlines are checked often enough to fire within a quarter of themselves.
    assert.equal(checkingInterval({ HeadersTimeoutMs: 600, RequestTimeoutMs: 1000 }), 150);
    assert.equal(checkingInterval({ HeadersTimeoutMs: 10_000, RequestTimeoutMs: 60_000 }), 2_500);
  });
});
