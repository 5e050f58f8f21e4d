/** Hostile-input and failure-isolation checks found in review: each pins one fix. */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { signEnvelope } from '../../src/crypto/dsse.js';
import { buildStatement, INTOTO_PAYLOAD_TYPE } from '../../src/crypto/intoto.js';
import type { Signer } from '../../src/crypto/signer.js';
import { isRecord } from '../helpers/model.js';
import { signedStatement, startTestServer, type TestServer } from '../helpers/server.js';

const HEX = 'ab'.repeat(32);

describe('hardening', () => {
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

  test('an unauthenticated request is refused before its body is parsed or validated', async () => {
    const hostile = JSON.stringify({ payloadType: 'x', payload: 'eA==', signatures: Array.from({ length: 20_000 }, () => ({ sig: '!' })) });
    const r = await srv.request('POST', '/api/v1/attestations', { rawBody: hostile });
    assert.equal(r.status, 401, r.text);
    assert.ok(r.text.length < 500, `reply stays small: ${r.text.length} bytes`);
  });

  test('validation errors are capped, whatever the body holds', async () => {
    const hostile = JSON.stringify({ payloadType: 'x', payload: 'eA==', signatures: Array.from({ length: 20_000 }, () => ({ sig: '!' })) });
    const r = await srv.request('POST', '/api/v1/attestations', { token, rawBody: hostile });
    assert.equal(r.status, 400, r.text);
    assert.ok(r.text.length < 4000, `reply stays small: ${r.text.length} bytes`);
  });

  test('an envelope with more than 16 signatures is refused with 400', async () => {
    const one = signedStatement(signer, HEX);
    const many = { ...one, signatures: Array.from({ length: 17 }, () => one.signatures[0]) };
    const r = await srv.request('POST', '/api/v1/attestations', { token, body: many });
    assert.equal(r.status, 400, r.text);
    assert.ok(isRecord(r.json) && r.json['code'] === 'E_INVALID_INPUT');
  });

  test('a predicateType with a control character is refused with 400 and stores nothing', async () => {
    const statement = buildStatement([{ name: 'a', digest: { sha256: HEX } }], 'https://example.com/p\u0000', {});
    const envelope = signEnvelope(INTOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(statement)), [signer]);
    const r = await srv.request('POST', '/api/v1/attestations', { token, body: envelope });
    assert.equal(r.status, 400, r.text);
    assert.match(String(isRecord(r.json) ? r.json['message'] : ''), /predicateType contains a control character/);
    const found = await srv.request('GET', `/api/v1/attestations?subject=sha256:${HEX}`, { token });
    assert.deepEqual((found.json as { items: unknown[] }).items, []);
  });

  test('an index row whose blob has vanished is an integrity failure (500), not a 404', async () => {
    const stored = await srv.request('POST', '/api/v1/attestations', { token, body: signedStatement(signer, 'cd'.repeat(32)) });
    assert.equal(stored.status, 201, stored.text);
    const id = (stored.json as { id: string }).id;
    const row = await srv.services.repos.evidence.get(id);
    assert.ok(row);
    rmSync(join(srv.dataDir, 'cas', 'signals', ...row.blobKey.split('/')));
    const r = await srv.request('GET', `/api/v1/attestations/${id}`, { token });
    assert.equal(r.status, 500, r.text);
    assert.ok(isRecord(r.json) && r.json['code'] === 'E_INTEGRITY');
  });

  test('/metrics does not show tenant ids', async () => {
    const r = await srv.request('GET', '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.text, /attestry_evidence_stored_total\{kind="attestations"\}/);
    assert.doesNotMatch(r.text, /acme/);
  });

  test('an unknown signing key id does not reveal where keys live', async () => {
    const r = await srv.request('GET', '/api/v1/keys/nope');
    assert.equal(r.status, 404);
    assert.doesNotMatch(r.text, new RegExp(srv.dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  });
});
