/** Defect 5 (issue 12) over HTTP: deep request bodies are refused before parsing, and nothing unreadable is stored. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BUNDLE_V03_MEDIA_TYPE } from '../../src/crypto/bundle.js';
import type { Signer } from '../../src/crypto/signer.js';
import { isRecord } from '../helpers/model.js';
import { signedStatement, startTestServer, type TestServer } from '../helpers/server.js';

const HEX = 'ef'.repeat(32);

function nested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

describe('hostile JSON request bodies', () => {
  let srv: TestServer;
  let signer: Signer;
  let token: string;
  before(async () => {
    srv = await startTestServer();
    await srv.addTenant('acme');
    signer = await srv.trustNewKey('acme', 'acme-key');
    token = await srv.token('signals-service', ['acme']);
  });
  after(() => srv.stop());

  test('a 3 MB body of nested arrays is a quick 400 {code, message}, the server stays up', async () => {
    const before = process.memoryUsage().rss;
    const t0 = performance.now();
    const r = await srv.request('POST', '/api/v1/attestations', { token, rawBody: nested(1_500_000) });
    const ms = performance.now() - t0;
    assert.equal(r.status, 400, r.text);
    assert.ok(isRecord(r.json));
    assert.equal(r.json['code'], 'E_INVALID_INPUT');
    assert.match(String(r.json['message']), /request body nests JSON .* more than 64 levels/);
    assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
    const growth = process.memoryUsage().rss - before;
    assert.ok(growth < 100 * 1024 * 1024, `RSS grew ${(growth / 1048576).toFixed(1)} MiB`);
    assert.equal((await srv.request('GET', '/healthz')).status, 200);
  });

  test('a body over the limit is 413 {code, message} naming the limit', async () => {
    const limit = srv.services.config.Server.BodyLimitBytes;
    const r = await srv.request('POST', '/api/v1/attestations', { token, rawBody: nested(limit) });
    assert.equal(r.status, 413, r.text);
    assert.ok(isRecord(r.json));
    assert.equal(r.json['code'], 'E_PAYLOAD_TOO_LARGE');
    assert.match(String(r.json['message']), new RegExp(`${limit} bytes`));
  });

  test('a bundle with 5,000-deep tlogEntries is refused on upload and nothing is stored', async () => {
    const envelope = signedStatement(signer, HEX);
    const deep = `{"mediaType":${JSON.stringify(BUNDLE_V03_MEDIA_TYPE)},"verificationMaterial":{"publicKey":{"hint":"acme-key"},"tlogEntries":${nested(5000)}},"dsseEnvelope":${JSON.stringify(envelope)}}`;
    const r = await srv.request('POST', '/api/v1/attestations', { token, rawBody: deep });
    assert.equal(r.status, 400, r.text);
    assert.ok(isRecord(r.json) && r.json['code'] === 'E_INVALID_INPUT', r.text);
    const found = await srv.request('GET', `/api/v1/attestations?subject=sha256:${HEX}`, { token });
    assert.deepEqual((found.json as { items: unknown[] }).items, []);
  });

  test('tlogEntries that are not objects are refused by the schema, however shallow', async () => {
    const envelope = signedStatement(signer, HEX);
    const bundle = {
      mediaType: BUNDLE_V03_MEDIA_TYPE,
      verificationMaterial: { publicKey: { hint: 'acme-key' }, tlogEntries: [[[1]]] },
      dsseEnvelope: envelope,
    };
    const r = await srv.request('POST', '/api/v1/attestations', { token, body: bundle });
    assert.equal(r.status, 400, r.text);
    assert.match(r.text, /tlogEntries/);
    const found = await srv.request('GET', `/api/v1/attestations?subject=sha256:${HEX}`, { token });
    assert.deepEqual((found.json as { items: unknown[] }).items, []);
  });

  test('a well-formed bundle upload still round-trips through GET', async () => {
    const envelope = signedStatement(signer, 'ee'.repeat(32));
    const bundle = {
      mediaType: BUNDLE_V03_MEDIA_TYPE,
      verificationMaterial: { publicKey: { hint: 'acme-key' }, tlogEntries: [] },
      dsseEnvelope: envelope,
    };
    const r = await srv.request('POST', '/api/v1/attestations', { token, body: bundle });
    assert.equal(r.status, 201, r.text);
    const got = await srv.request('GET', `/api/v1/attestations/${(r.json as { id: string }).id}`, { token });
    assert.equal(got.status, 200, got.text);
  });
});
