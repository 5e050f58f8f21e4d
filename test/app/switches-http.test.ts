/**
 * The locker-wide and log-wide switches seen through the HTTP API: the
 * service refuses writes, or stores records unlogged, naming the key.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { signedStatement, startTestServer } from '../helpers/server.js';

const hex = (): string => randomBytes(32).toString('hex');
const obj = (r: { json: unknown }): Record<string, unknown> => r.json as Record<string, unknown>;

test('Log.Enabled: false stores records without a log entry, skipReason naming Log.Enabled', async (t) => {
  const srv = await startTestServer({ env: { ATTESTRY__Log__Enabled: 'false' } });
  t.after(() => srv.stop());
  await srv.addTenant('t1');
  const signer = await srv.trustNewKey('t1', 'k');
  const token = await srv.token('signals-service', ['t1']);
  const r = await srv.request('POST', '/api/v1/attestations', { token, body: signedStatement(signer, hex()) });
  assert.equal(r.status, 201, r.text);
  assert.equal(obj(r)['logIndex'], null);
  assert.match(String(obj(r)['skipReason']), /Log\.Enabled: false/);
  assert.equal(srv.services.tlog.enabled, false);
  // The log still answers: an empty, signed checkpoint.
  assert.equal((await srv.request('GET', '/tlog/checkpoint')).status, 200);
});

test('Evidence.WriteEnabled: false refuses writes with 503 E_READ_ONLY; reads go on', async (t) => {
  const srv = await startTestServer({ env: { ATTESTRY__Evidence__WriteEnabled: 'false' } });
  t.after(() => srv.stop());
  await srv.addTenant('t1');
  const signer = await srv.trustNewKey('t1', 'k');
  const token = await srv.token('signals-service', ['t1']);
  const subject = hex();
  const r = await srv.request('POST', '/api/v1/attestations', { token, body: signedStatement(signer, subject) });
  assert.equal(r.status, 503, r.text);
  assert.equal(obj(r)['code'], 'E_READ_ONLY');
  assert.equal((await srv.request('GET', `/api/v1/attestations?subject=sha256:${subject}`, { token })).status, 200);
  assert.equal(srv.services.policy.writeRefusal('model-signatures'), 'writes are disabled (Evidence.WriteEnabled: false)');
});
