/** Defect 9, the server side (issue 12): every refusal is `{code, message}` and its message says what to do. */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { createSigner, type Signer } from '../../src/crypto/signer.js';
import { isRecord } from '../helpers/model.js';
import { signedStatement, startTestServer, type TestServer } from '../helpers/server.js';

/** Sends raw bytes, returns status and parsed JSON body of the reply (the server closes or answers once). */
function raw(url: string, data: string): Promise<{ status: number; json: unknown; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const socket = connect({ host: u.hostname, port: Number(u.port) });
    let text = '';
    const done = (): void => {
      socket.destroy();
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), json, text });
    };
    socket.setTimeout(5_000, done);
    socket.on('connect', () => socket.write(data));
    socket.on('data', (d) => {
      text += d.toString('latin1');
      const m = /content-length: (\d+)/i.exec(text);
      const head = text.indexOf('\r\n\r\n');
      if (m && head >= 0 && Buffer.byteLength(text.slice(head + 4), 'latin1') >= Number(m[1])) done();
    });
    socket.on('close', done);
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? done() : reject(e)));
  });
}

function assertShape(json: unknown, code: string): string {
  assert.ok(isRecord(json), `a JSON object: ${JSON.stringify(json)}`);
  assert.equal(json['code'], code, JSON.stringify(json));
  assert.equal(typeof json['message'], 'string');
  assert.equal(json['statusCode'], undefined, "not Fastify's own {error, message, statusCode} shape");
  return json['message'] as string;
}

describe('error replies', () => {
  let srv: TestServer;
  let signer: Signer;
  let token: string;
  before(async () => {
    srv = await startTestServer();
    await srv.addTenant('acme');
    await srv.addTenant('beta');
    signer = await srv.trustNewKey('acme', 'acme-key');
    token = await srv.token('signals-service', ['acme']);
  });
  after(() => srv.stop());

  test('431: headers over the limit', async () => {
    const r = await raw(srv.url, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.equal(r.status, 431, r.text.slice(0, 300));
    assert.match(assertShape(r.json, 'E_PAYLOAD_TOO_LARGE'), /16384 bytes \(Server\.MaxHeaderBytes\)/);
  });

  test('414: a path parameter longer than any id', async () => {
    const r = await srv.request('GET', `/api/v1/attestations/${'A'.repeat(300)}`, { token });
    assert.equal(r.status, 414, r.text);
    assert.match(assertShape(r.json, 'E_INVALID_INPUT'), /longer than 256 characters/);
  });

  test('400: a URL with broken percent-encoding', async () => {
    const r = await srv.request('GET', '/api/v1/keys/%zz');
    assert.equal(r.status, 400, r.text);
    assert.match(assertShape(r.json, 'E_INVALID_INPUT'), /percent-encoding/);
  });

  test('400: bytes that are not HTTP', async () => {
    const r = await raw(srv.url, 'NOT HTTP AT ALL\r\n\r\n');
    assert.equal(r.status, 400, r.text);
    assertShape(r.json, 'E_INVALID_INPUT');
  });

  test('415 names application/json (and text/plain on the route that takes it)', async () => {
    const r = await srv.request('POST', '/api/v1/attestations', { token, rawBody: 'hello', headers: { 'content-type': 'text/plain' } });
    assert.equal(r.status, 415, r.text);
    assert.match(assertShape(r.json, 'E_INVALID_INPUT'), /send the body as application\/json/);
    const c = await srv.request('POST', '/api/v1/log/cosignatures', { rawBody: '{}', headers: { 'content-type': 'application/xml' } });
    assert.equal(c.status, 415, c.text);
    assert.match(assertShape(c.json, 'E_INVALID_INPUT'), /send the body as text\/plain/);
  });

  test("413 quotes the refusing route's own limit", async () => {
    const r = await srv.request('POST', '/api/v1/log/cosignatures', {
      rawBody: 'x'.repeat(100 * 1024),
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(r.status, 413, r.text);
    const message = assertShape(r.json, 'E_PAYLOAD_TOO_LARGE');
    assert.match(message, /larger than 65536 bytes \(the limit of POST \/api\/v1\/log\/cosignatures\)/);
    assert.doesNotMatch(message, /4194304|Server\.BodyLimitBytes/);
    const big = await srv.request('POST', '/api/v1/attestations', {
      token,
      rawBody: `"${'x'.repeat(srv.services.config.Server.BodyLimitBytes)}"`,
    });
    assert.equal(big.status, 413);
    assert.match(assertShape(big.json, 'E_PAYLOAD_TOO_LARGE'), /4194304 bytes \(Server\.BodyLimitBytes\)/);
  });

  test('422 for an untrusted signer says how to trust it', async () => {
    const stranger = createSigner(generateKeyPair('ed25519').privateKey, 'stranger');
    const r = await srv.request('POST', '/api/v1/attestations', { token, body: signedStatement(stranger, 'cd'.repeat(32)) });
    assert.equal(r.status, 422, r.text);
    assert.match(assertShape(r.json, 'E_SIGNATURE_INVALID'), /attestry key trust --tenant <tenant> --key-id <keyid> --public-key/);
    // A tenant with no keys at all gets the same hint.
    const beta = await srv.token('signals-service', ['beta']);
    const none = await srv.request('POST', '/api/v1/attestations', { token: beta, body: signedStatement(signer, 'cd'.repeat(32)) });
    assert.equal(none.status, 422, none.text);
    assert.match(assertShape(none.json, 'E_SIGNATURE_INVALID'), /attestry key trust --tenant/);
  });

  test('a token for several tenants: the error carries details a client can translate into its own flag', async () => {
    const both = await srv.token('signals-service', ['acme', 'beta']);
    const r = await srv.request('POST', '/api/v1/attestations', { token: both, body: signedStatement(signer, 'ce'.repeat(32)) });
    assert.equal(r.status, 400, r.text);
    assertShape(r.json, 'E_INVALID_INPUT');
    assert.deepEqual((r.json as { details: unknown }).details, {
      missing: 'tenant',
      query: 'tenant',
      header: 'X-Attestry-Tenant',
      tenants: ['acme', 'beta'],
    });
  });
});
