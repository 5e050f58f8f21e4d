/**
 * The HTTP service as a client sees it: operational endpoints, the signing
 * key endpoints, authentication failures, request validation, signature and
 * integrity failures, idempotent uploads, model signatures, read-only mode,
 * tenant selection and graceful shutdown.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { describePublicKey } from '../../src/crypto/keyring.js';
import { generateKeyPair, keyAlgorithmOf, loadPublicKey } from '../../src/crypto/keys.js';
import { createSigner, type Signer } from '../../src/crypto/signer.js';
import { modelDigest, signModel } from '../../src/models/index.js';
import { isRecord } from '../helpers/model.js';
import { PREDICATE_FOR_KIND, signedStatement, startTestServer, type TestServer } from '../helpers/server.js';

type Reply = { status: number; json: unknown; text: string; headers: Headers };

/** The repository's examples/tiny-model (tests run from <outDir>/test/server/, next to the repo's package.json). */
const TINY_MODEL = fileURLToPath(new URL('../../../examples/tiny-model', import.meta.url));

const randomHex = (): string => randomBytes(32).toString('hex');

function obj(r: { json: unknown; text: string }): Record<string, unknown> {
  assert.ok(isRecord(r.json), `reply is not a JSON object: ${r.text.slice(0, 300)}`);
  return r.json;
}

function expectError(r: Reply, status: number, code: string, ...patterns: RegExp[]): Record<string, unknown> {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status}: ${r.text.slice(0, 400)}`);
  const b = obj(r);
  assert.equal(b['code'], code, r.text);
  assert.equal(typeof b['message'], 'string');
  for (const p of patterns) assert.match(String(b['message']), p);
  return b;
}

function items(r: Reply): Record<string, unknown>[] {
  assert.equal(r.status, 200, r.text);
  const list = obj(r)['items'];
  assert.ok(Array.isArray(list), r.text);
  return list.map((i) => {
    assert.ok(isRecord(i));
    return i;
  });
}

/** Every regular file under `dir` (recursively), as paths. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );
}

const tokenId = (token: string): string => {
  const m = /^atr_([0-9A-Z]{26})_/.exec(token);
  assert.ok(m, `not an API token: ${token.slice(0, 12)}...`);
  return m[1] as string;
};

// ---------------------------------------------------------------------------
// One shared server for the tests that do not need special configuration.

let srv: TestServer;
let admin: string;
let signerT1: Signer;
let signerT2: Signer;
let writerT1: string;

before(async () => {
  srv = await startTestServer();
  await srv.addTenant('t1');
  await srv.addTenant('t2');
  signerT1 = await srv.trustNewKey('t1', 'key-t1');
  signerT2 = await srv.trustNewKey('t2', 'key-t2');
  admin = await srv.token('admin', ['*']);
  writerT1 = await srv.token('signals-service', ['t1']);
});
after(async () => {
  await srv?.stop();
});

describe('operational endpoints', () => {
  test('GET /healthz → 200', async () => {
    const r = await srv.request('GET', '/healthz');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { status: 'ok' });
  });

  test('GET /readyz → 200 with database, blob store and data directory checks', async () => {
    const r = await srv.request('GET', '/readyz');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { status: 'ready', checks: { database: 'ok', blobStore: 'ok', dataDir: 'ok' } });
  });

  test('GET /openapi.json is an OpenAPI 3 document listing the evidence and key routes', async () => {
    const r = await srv.request('GET', '/openapi.json');
    assert.equal(r.status, 200, r.text.slice(0, 300));
    const doc = obj(r);
    assert.match(String(doc['openapi']), /^3\.\d+\.\d+$/);
    const paths = doc['paths'];
    assert.ok(isRecord(paths), 'paths');
    const attestations = paths['/api/v1/attestations'];
    assert.ok(isRecord(attestations), `paths has /api/v1/attestations: ${Object.keys(paths).join(', ')}`);
    assert.ok(isRecord(attestations['post']), 'POST /api/v1/attestations documented');
    assert.ok(isRecord(attestations['get']), 'GET /api/v1/attestations documented');
    assert.ok(isRecord(paths['/api/v1/keys']) && isRecord(paths['/api/v1/keys']['get']), 'GET /api/v1/keys documented');
    assert.ok(isRecord(paths['/api/v1/keys/{keyId}']), 'GET /api/v1/keys/{keyId} documented');
    assert.ok(isRecord(paths['/api/v1/attestations/{id}']), 'GET /api/v1/attestations/{id} documented');
    const components = doc['components'];
    assert.ok(
      isRecord(components) && isRecord(components['securitySchemes']) && isRecord(components['securitySchemes']['bearer']),
      'bearer security scheme',
    );
  });

  test('GET /docs serves the HTML API reference', async () => {
    const r = await srv.request('GET', '/docs');
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.match(r.headers.get('content-type') ?? '', /text\/html/);
    assert.match(r.text, /<html/i);
  });

  test('GET /metrics is Prometheus text with the service, CAS and process metrics', async () => {
    // One request first so the latency histogram has a sample.
    await srv.request('GET', '/healthz');
    const r = await srv.request('GET', '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
    for (const name of ['signals_cas_operations_total', 'attestry_http_request_duration_seconds', 'process_cpu_user_seconds_total']) {
      assert.match(r.text, new RegExp(`^# TYPE ${name} `, 'm'), `metric ${name} is exported`);
    }
    assert.match(r.text, /^attestry_http_request_duration_seconds_count\{[^}]*route="\/healthz"[^}]*\} [1-9]/m);
  });

  test('an unknown route is 404 E_NOT_FOUND in JSON', async () => {
    expectError(await srv.request('GET', '/api/v1/nothing-here'), 404, 'E_NOT_FOUND', /\/api\/v1\/nothing-here/);
  });
});

describe('first start', () => {
  test('bootstraps a default tenant and an admin token in a 0600 file', async () => {
    assert.equal(srv.bootstrap.createdTenant, 'default');
    const file = srv.bootstrap.adminTokenFile;
    assert.ok(file !== undefined);
    assert.equal(file, join(srv.dataDir, 'admin-token'));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const token = readFileSync(file, 'utf8').trim();
    assert.match(token, /^atr_[0-9A-Z]{26}_[A-Za-z0-9_-]{43}$/);
    const r = await srv.request('GET', `/api/v1/attestations?subject=sha256:${randomHex()}&tenant=default`, { token });
    assert.equal(r.status, 200, r.text);
  });
});

describe('signing keys', () => {
  test('GET /api/v1/keys lists the configured signing key (ecdsa-p256), without a token', async () => {
    const r = await srv.request('GET', '/api/v1/keys');
    assert.equal(r.status, 200, r.text);
    const keys = obj(r)['keys'];
    assert.ok(Array.isArray(keys));
    const key = keys.find((k) => isRecord(k) && k['keyId'] === 'signals-signer-2025-001');
    assert.ok(isRecord(key), `signing key listed: ${r.text}`);
    assert.equal(key['algorithm'], 'ecdsa-p256');
    assert.equal(key['signing'], true);
    assert.match(String(key['fingerprint']), /^sha256:[0-9a-f]{64}$/);
    const pem = String(key['publicKeyPem']);
    assert.match(pem, /^-----BEGIN PUBLIC KEY-----\n/);
    assert.equal(keyAlgorithmOf(loadPublicKey(pem, 'reply')), 'ecdsa-p256');
    assert.doesNotMatch(r.text, /PRIVATE KEY/);
    assert.equal(key['keyId'], srv.services.signingKey.keyId);
  });

  test('GET /api/v1/keys/{id} returns that key; unknown → 404; invalid id → 400', async () => {
    const list = obj(await srv.request('GET', '/api/v1/keys'))['keys'] as unknown[];
    const one = await srv.request('GET', '/api/v1/keys/signals-signer-2025-001');
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(
      one.json,
      list.find((k) => isRecord(k) && k['keyId'] === 'signals-signer-2025-001'),
    );
    expectError(await srv.request('GET', '/api/v1/keys/no-such-key'), 404, 'E_NOT_FOUND', /no-such-key/);
    expectError(await srv.request('GET', '/api/v1/keys/bad!key'), 400, 'E_INVALID_INPUT');
  });
});

describe('authentication', () => {
  const find = (headers: Record<string, string>) => srv.request('GET', `/api/v1/attestations?subject=sha256:${randomHex()}`, { headers });

  test('no Authorization header → 401 E_UNAUTHENTICATED', async () => {
    expectError(await find({}), 401, 'E_UNAUTHENTICATED', /Authorization/);
    expectError(
      await srv.request('POST', '/api/v1/attestations', { body: signedStatement(signerT1, randomHex()) }),
      401,
      'E_UNAUTHENTICATED',
    );
    expectError(await srv.request('GET', '/api/v1/attestations/01ARZ3NDEKTSV4RRFFQ69G5FAV'), 401, 'E_UNAUTHENTICATED');
  });

  test('malformed Authorization header or token → 401 E_UNAUTHENTICATED', async () => {
    for (const header of [
      'Basic dXNlcjpwYXNz',
      'Bearer',
      'Bearer not-a-token',
      `Bearer ${writerT1}x`,
      `Token ${writerT1}`,
      `Bearer ${writerT1} extra`,
    ]) {
      expectError(await find({ authorization: header }), 401, 'E_UNAUTHENTICATED');
    }
  });

  test('right token id with a wrong secret → 401 E_UNAUTHENTICATED', async () => {
    const forged = `atr_${tokenId(writerT1)}_${randomBytes(32).toString('base64url')}`;
    const b = expectError(await find({ authorization: `Bearer ${forged}` }), 401, 'E_UNAUTHENTICATED', /invalid API token/);
    assert.doesNotMatch(JSON.stringify(b), /revoked|expired/);
    // A well-formed token whose id does not exist gets the same answer.
    const unknown = `atr_01ARZ3NDEKTSV4RRFFQ69G5FAV_${randomBytes(32).toString('base64url')}`;
    expectError(await find({ authorization: `Bearer ${unknown}` }), 401, 'E_UNAUTHENTICATED', /invalid API token/);
  });

  test('a revoked token → 401 mentioning revoked', async () => {
    const token = await srv.token('policy-engine', ['t1']);
    assert.equal((await find({ authorization: `Bearer ${token}` })).status, 200, 'works before revocation');
    await srv.services.repos.tokens.revoke(tokenId(token), new Date());
    expectError(await find({ authorization: `Bearer ${token}` }), 401, 'E_UNAUTHENTICATED', /revoked/);
  });

  test('an expired token → 401 mentioning expired', async () => {
    const expiresAt = new Date(Date.now() + 1500);
    const token = await srv.token('policy-engine', ['t1'], expiresAt);
    assert.equal((await find({ authorization: `Bearer ${token}` })).status, 200, 'works before expiry');
    await delay(expiresAt.getTime() - Date.now() + 100);
    expectError(await find({ authorization: `Bearer ${token}` }), 401, 'E_UNAUTHENTICATED', /expired/);
  });
});

describe('request validation and verification', () => {
  test('malformed JSON → 400 saying the body is not valid JSON', async () => {
    const r = await srv.request('POST', '/api/v1/attestations', {
      token: writerT1,
      rawBody: '{"payloadType": "application/vnd.in-toto+json", "payload": ',
    });
    expectError(r, 400, 'E_INVALID_INPUT', /not valid JSON/);
  });

  test('a body that is not JSON at all is refused with a 4xx JSON error', async () => {
    const r = await srv.request('POST', '/api/v1/attestations', {
      token: writerT1,
      rawBody: 'hello',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(r.status, 415, r.text);
    assert.equal(obj(r)['code'], 'E_INVALID_INPUT');
  });

  test('valid JSON that is not an envelope → 400 naming the missing field', async () => {
    const r = await srv.request('POST', '/api/v1/attestations', { token: writerT1, body: { hello: 'world' } });
    expectError(r, 400, 'E_INVALID_INPUT', /payloadType/);
    const noSigs = await srv.request('POST', '/api/v1/attestations', {
      token: writerT1,
      body: { payloadType: 'application/vnd.in-toto+json', payload: 'e30=', signatures: [] },
    });
    expectError(noSigs, 400, 'E_INVALID_INPUT', /signatures/);
    const array = await srv.request('POST', '/api/v1/attestations', { token: writerT1, body: [1, 2, 3] });
    expectError(array, 400, 'E_INVALID_INPUT');
  });

  test('an envelope whose payload is not an in-toto statement is 400, not stored', async () => {
    const bad = { ...signedStatement(signerT1, randomHex()), payload: Buffer.from('not json').toString('base64') };
    const r = await srv.request('POST', '/api/v1/attestations', { token: writerT1, body: bad });
    assert.equal(r.status, 400, r.text);
  });

  test('an envelope signed by an untrusted key → 422 E_SIGNATURE_INVALID, nothing stored', async () => {
    const stranger = createSigner(generateKeyPair('ed25519').privateKey, 'stranger-key');
    const subject = randomHex();
    const r = await srv.request('POST', '/api/v1/attestations', { token: writerT1, body: signedStatement(stranger, subject) });
    expectError(r, 422, 'E_SIGNATURE_INVALID', /stranger-key/);
    assert.deepEqual(items(await srv.request('GET', `/api/v1/attestations?subject=sha256:${subject}`, { token: admin })), []);
    // A key trusted by another tenant does not count either.
    const r2 = await srv.request('POST', '/api/v1/attestations', { token: writerT1, body: signedStatement(signerT2, subject) });
    expectError(r2, 422, 'E_SIGNATURE_INVALID');
  });

  test('a tampered payload (signature no longer matches) → 422', async () => {
    const env = signedStatement(signerT1, randomHex());
    const other = signedStatement(signerT1, randomHex());
    const r = await srv.request('POST', '/api/v1/attestations', { token: writerT1, body: { ...env, payload: other.payload } });
    expectError(r, 422, 'E_SIGNATURE_INVALID');
  });

  test('the same envelope POSTed twice → 201 then 200 with the same id', async () => {
    const subject = randomHex();
    const raw = JSON.stringify(signedStatement(signerT1, subject, PREDICATE_FOR_KIND.attestations));
    const first = await srv.request('POST', '/api/v1/attestations', { token: writerT1, rawBody: raw });
    assert.equal(first.status, 201, first.text);
    assert.equal(obj(first)['created'], true);
    const second = await srv.request('POST', '/api/v1/attestations', { token: writerT1, rawBody: raw });
    assert.equal(second.status, 200, second.text);
    assert.equal(obj(second)['id'], obj(first)['id']);
    assert.equal(obj(second)['created'], false);
    assert.equal(obj(second)['digest'], obj(first)['digest']);
    assert.equal(items(await srv.request('GET', `/api/v1/attestations?subject=sha256:${subject}`, { token: admin })).length, 1);
  });

  test('concurrent identical uploads store one object: one 201, the rest 200 with the same id', async () => {
    const raw = JSON.stringify(signedStatement(signerT1, randomHex(), PREDICATE_FOR_KIND.attestations));
    const replies = await Promise.all(
      Array.from({ length: 8 }, () => srv.request('POST', '/api/v1/attestations', { token: writerT1, rawBody: raw })),
    );
    assert.deepEqual(replies.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 200, 200, 201], replies.map((r) => r.text).join('\n'));
    const ids = new Set(replies.map((r) => obj(r)['id']));
    assert.equal(ids.size, 1);
    // The losers' copies were removed: one blob for the one index row.
    const row = await srv.services.repos.evidence.get(String([...ids][0]));
    assert.ok(row);
    const blobs = filesUnder(join(srv.dataDir, 'cas', 'signals', 'attestations')).filter((f) => f.endsWith('.dsse'));
    const rows = await Promise.all(blobs.map((f) => srv.services.repos.evidence.get(f.slice(f.lastIndexOf('/') + 1, -'.dsse'.length))));
    assert.ok(
      rows.every((r) => r !== undefined),
      'every attestation blob on disk has an index row',
    );
  });

  test('find pages with limit and after', async () => {
    const subject = randomHex();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await srv.request('POST', '/api/v1/attestations', { token: writerT1, body: signedStatement(signerT1, subject) });
      assert.equal(r.status, 201, r.text);
      ids.push(String(obj(r)['id']));
    }
    const all = await srv.request('GET', `/api/v1/attestations?subject=sha256:${subject}`, { token: admin });
    assert.deepEqual(
      items(all)
        .map((i) => i['id'])
        .sort(),
      [...ids].sort(),
    );
    assert.equal(obj(all)['next'], undefined);
    const page1 = await srv.request('GET', `/api/v1/attestations?subject=sha256:${subject}&limit=2`, { token: admin });
    assert.equal(page1.status, 200, page1.text);
    const first = items(page1);
    assert.equal(first.length, 2);
    const next = obj(page1)['next'];
    assert.equal(typeof next, 'string');
    const page2 = await srv.request('GET', `/api/v1/attestations?subject=sha256:${subject}&limit=2&after=${String(next)}`, {
      token: admin,
    });
    const second = items(page2);
    assert.equal(second.length, 1);
    assert.equal(obj(page2)['next'], undefined);
    assert.deepEqual([...first, ...second].map((i) => i['id']).sort(), [...ids].sort());
  });

  test('find rejects a malformed subject, kind or cursor with 400', async () => {
    expectError(await srv.request('GET', '/api/v1/attestations?subject=abc', { token: admin }), 400, 'E_INVALID_INPUT', /subject/);
    expectError(await srv.request('GET', '/api/v1/attestations', { token: admin }), 400, 'E_INVALID_INPUT', /subject/);
    expectError(
      await srv.request('GET', `/api/v1/attestations?subject=sha256:${randomHex()}&kind=nope`, { token: admin }),
      400,
      'E_INVALID_INPUT',
      /nope/,
    );
    expectError(
      await srv.request('GET', `/api/v1/attestations?subject=sha256:${randomHex()}&after=zzz`, { token: admin }),
      400,
      'E_INVALID_INPUT',
      /after/,
    );
  });

  test('GET returns the stored envelope with metadata; /raw returns the exact bytes', async () => {
    const subject = randomHex();
    const raw = JSON.stringify(signedStatement(signerT1, subject, PREDICATE_FOR_KIND.attestations), null, 1);
    const put = await srv.request('POST', '/api/v1/attestations', { token: writerT1, rawBody: raw });
    assert.equal(put.status, 201, put.text);
    const id = String(obj(put)['id']);
    const got = await srv.request('GET', `/api/v1/attestations/${id}`, { token: admin });
    assert.equal(got.status, 200, got.text);
    const meta = obj(got)['meta'];
    assert.ok(isRecord(meta));
    assert.equal(meta['signerKeyId'], 'key-t1');
    assert.equal(meta['predicateType'], PREDICATE_FOR_KIND.attestations);
    assert.deepEqual(meta['subjects'], [{ digest: `sha256:${subject}`, name: 'artifact' }]);
    const bytes = await srv.request('GET', `/api/v1/attestations/${id}/raw`, { token: admin });
    assert.equal(bytes.status, 200);
    assert.equal(bytes.text, raw);
    expectError(await srv.request('GET', '/api/v1/attestations/not-a-ulid-not-a-ulid-xxxx', { token: admin }), 400, 'E_INVALID_INPUT');
  });

  test('a stored blob altered on disk → GET 500 E_INTEGRITY without the altered bytes', async () => {
    const put = await srv.request('POST', '/api/v1/attestations', {
      token: writerT1,
      body: signedStatement(signerT1, randomHex(), PREDICATE_FOR_KIND.attestations),
    });
    assert.equal(put.status, 201, put.text);
    const id = String(obj(put)['id']);
    const row = await srv.services.repos.evidence.get(id);
    assert.ok(row, 'index row exists');
    const path = join(srv.dataDir, 'cas', 'signals', ...row.blobKey.split('/'));
    assert.ok(statSync(path).isFile(), `blob file at ${path}`);
    const MARK = 'ALTERED-ON-DISK-7f3a';
    const original = readFileSync(path, 'utf8');
    writeFileSync(path, original.replace('"payload":"', `"marker":"${MARK}","payload":"`));
    assert.notEqual(readFileSync(path, 'utf8'), original);

    for (const suffix of ['', '/raw']) {
      const r = await srv.request('GET', `/api/v1/attestations/${id}${suffix}`, { token: admin });
      expectError(r, 500, 'E_INTEGRITY');
      assert.ok(!r.text.includes(MARK), `reply ${suffix || '(envelope)'} must not contain the altered bytes: ${r.text.slice(0, 300)}`);
    }
    const metrics = await srv.request('GET', '/metrics');
    assert.match(metrics.text, /^signals_cas_operations_total\{[^}]*operation="get"[^}]*result="integrity_failure"[^}]*\} [1-9]/m);
  });
});

describe('tenant selection', () => {
  let multi: string;
  before(async () => {
    multi = await srv.token('signals-service', ['t1', 't2']);
  });

  test('?tenant= chooses the tenant for a multi-tenant token', async () => {
    const r = await srv.request('POST', '/api/v1/attestations?tenant=t2', { token: multi, body: signedStatement(signerT2, randomHex()) });
    assert.equal(r.status, 201, r.text);
    assert.equal(obj(r)['tenant'], 't2');
  });

  test('X-Attestry-Tenant chooses the tenant for a multi-tenant token', async () => {
    const r = await srv.request('POST', '/api/v1/attestations', {
      token: multi,
      body: signedStatement(signerT1, randomHex()),
      headers: { 'x-attestry-tenant': 't1' },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(obj(r)['tenant'], 't1');
    const r2 = await srv.request('POST', '/api/v1/attestations', {
      token: multi,
      body: signedStatement(signerT2, randomHex()),
      headers: { 'x-attestry-tenant': 't2' },
    });
    assert.equal(r2.status, 201, r2.text);
    assert.equal(obj(r2)['tenant'], 't2');
  });

  test('a multi-tenant token naming no tenant → 400 saying how to name one', async () => {
    const r = await srv.request('POST', '/api/v1/attestations', { token: multi, body: signedStatement(signerT1, randomHex()) });
    expectError(r, 400, 'E_INVALID_INPUT', /tenant/);
    const adminR = await srv.request('POST', '/api/v1/attestations', { token: admin, body: signedStatement(signerT1, randomHex()) });
    expectError(adminR, 400, 'E_INVALID_INPUT', /tenant/);
  });

  test('naming a tenant the token does not act for → 403; an invalid tenant id → 400; admin naming an unknown tenant → 404', async () => {
    expectError(
      await srv.request('POST', '/api/v1/attestations?tenant=t2', { token: writerT1, body: signedStatement(signerT2, randomHex()) }),
      403,
      'E_FORBIDDEN',
      /t2/,
    );
    expectError(
      await srv.request('POST', '/api/v1/attestations?tenant=Not..Valid', { token: multi, body: signedStatement(signerT1, randomHex()) }),
      400,
      'E_INVALID_INPUT',
    );
    expectError(
      await srv.request('POST', '/api/v1/attestations?tenant=nope', { token: admin, body: signedStatement(signerT1, randomHex()) }),
      404,
      'E_NOT_FOUND',
      /nope/,
    );
  });
});

describe('model signatures', () => {
  test('a signed tiny-model bundle is stored as model-signatures and found by its model digest', async (t) => {
    const work = mkdtempSync(join(tmpdir(), 'attestry-srv-model-'));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const pair = generateKeyPair('ecdsa-p256');
    const info = describePublicKey('model-key', pair.publicKey);
    await srv.services.repos.trustedKeys.add({
      tenant: 't1',
      keyId: 'model-key',
      algorithm: info.algorithm,
      publicKeyPem: info.publicKeyPem,
      fingerprint: info.fingerprint,
      hint: info.hint,
      createdAt: new Date().toISOString(),
    });

    const output = join(work, 'tiny-model.sig');
    const signed = await signModel({ modelPath: TINY_MODEL, privateKey: pair.privateKey, signerId: 'ci@example.com', output, threads: 1 });
    const { rootDigest } = await modelDigest(TINY_MODEL, { threads: 1 });
    assert.equal(rootDigest, signed.rootDigest);

    const ai = await srv.token('ai-service', ['t1']);
    const bundleText = readFileSync(output, 'utf8');
    const put = await srv.request('POST', '/api/v1/attestations', { token: ai, rawBody: bundleText });
    assert.equal(put.status, 201, put.text);
    assert.equal(obj(put)['kind'], 'model-signatures');
    assert.equal(obj(put)['signerKeyId'], 'model-key');
    const id = String(obj(put)['id']);

    const found = items(await srv.request('GET', `/api/v1/attestations?subject=${encodeURIComponent(rootDigest)}`, { token: ai }));
    assert.deepEqual(
      found.map((i) => [i['id'], i['kind'], i['tenant']]),
      [[id, 'model-signatures', 't1']],
    );

    const got = await srv.request('GET', `/api/v1/attestations/${id}`, { token: ai });
    assert.equal(got.status, 200, got.text);
    const g = obj(got);
    assert.ok(isRecord(g['bundle']), 'the uploaded Sigstore bundle is returned');
    assert.deepEqual(g['bundle'], JSON.parse(bundleText));
    const meta = g['meta'];
    assert.ok(isRecord(meta));
    assert.match(String(meta['mediaType']), /^application\/vnd\.dev\.sigstore\.bundle/);

    // signals-service may not write model signatures.
    const again = await srv.request('POST', '/api/v1/attestations', { token: writerT1, rawBody: bundleText });
    expectError(again, 403, 'E_FORBIDDEN');
  });
});

// ---------------------------------------------------------------------------
// Tests with their own server (special configuration or lifecycle).

describe('Server.BodyLimitBytes', () => {
  test('a body over the limit → 413 E_PAYLOAD_TOO_LARGE and nothing stored', async (t) => {
    const small = await startTestServer({ env: { ATTESTRY__Server__BodyLimitBytes: '2048' } });
    t.after(() => small.stop());
    assert.equal(small.services.config.Server.BodyLimitBytes, 2048);
    await small.addTenant('t1');
    const signer = await small.trustNewKey('t1', 'k');
    const token = await small.token('signals-service', ['t1']);
    const casDir = join(small.dataDir, 'cas');
    const before = filesUnder(casDir).length;

    const subject = randomHex();
    const big = JSON.stringify(signedStatement(signer, subject, PREDICATE_FOR_KIND.attestations, { filler: 'x'.repeat(4000) }));
    assert.ok(big.length > 2048);
    const r = await small.request('POST', '/api/v1/attestations', { token, rawBody: big });
    expectError(r, 413, 'E_PAYLOAD_TOO_LARGE', /2048/);
    assert.deepEqual(
      items(await small.request('GET', `/api/v1/attestations?subject=sha256:${subject}`, { token: await small.token('admin', ['*']) })),
      [],
    );
    assert.equal(filesUnder(casDir).length, before, 'no blob written');

    // Under the limit still works.
    const fits = JSON.stringify(signedStatement(signer, randomHex(), PREDICATE_FOR_KIND.attestations, { n: 1 }));
    assert.ok(fits.length < 2048);
    const ok = await small.request('POST', '/api/v1/attestations', { token, rawBody: fits });
    assert.equal(ok.status, 201, ok.text);
  });
});

describe('Signals.CAS.WriteEnabled=false', () => {
  test('POST → 503 E_READ_ONLY; reads still work', async (t) => {
    const ro = await startTestServer({ env: { ATTESTRY__Signals__CAS__WriteEnabled: 'false' } });
    t.after(() => ro.stop());
    assert.equal(ro.services.config.Signals.CAS.WriteEnabled, false);
    await ro.addTenant('t1');
    const signer = await ro.trustNewKey('t1', 'k');
    const token = await ro.token('signals-service', ['t1']);
    const subject = randomHex();
    expectError(
      await ro.request('POST', '/api/v1/attestations', { token, body: signedStatement(signer, subject) }),
      503,
      'E_READ_ONLY',
      /WriteEnabled/,
    );
    assert.deepEqual(items(await ro.request('GET', `/api/v1/attestations?subject=sha256:${subject}`, { token })), []);
    assert.equal((await ro.request('GET', '/readyz')).status, 200);
  });
});

describe('graceful shutdown', () => {
  test('every POST answered 201 while the server closes is durable after reopening', async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'attestry-srv-shutdown-'));
    let reopened: TestServer | undefined;
    const first = await startTestServer({ dataDir });
    t.after(async () => {
      await first.close(); // idempotent
      await reopened?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });
    await first.addTenant('t1');
    const signer = await first.trustNewKey('t1', 'k');
    const token = await first.token('signals-service', ['t1']);
    const adminToken = await first.token('admin', ['*']);

    const N = 20;
    let received = 0;
    const allReceived = new Promise<void>((resolve) => {
      first.app.server.on('request', () => {
        received += 1;
        if (received === N) resolve();
      });
    });
    const subjects = Array.from({ length: N }, () => randomHex());
    const posts = subjects.map((s) =>
      first.request('POST', '/api/v1/attestations', { token, body: signedStatement(signer, s, PREDICATE_FOR_KIND.attestations) }).then(
        (r) => ({ status: r.status, id: isRecord(r.json) ? String(r.json['id']) : undefined, text: r.text }),
        (e: unknown) => ({ status: 0, id: undefined, text: String(e) }),
      ),
    );
    // Close as soon as the server has all 20 requests in hand (or after 5 s, whatever came).
    await Promise.race([allReceived, delay(5000, undefined, { ref: false })]);
    const closing = first.close();
    const results = await Promise.all(posts);
    const grace = first.services.config.Server.ShutdownGraceMs;
    let timer: NodeJS.Timeout | undefined;
    const closedInTime = await Promise.race([
      closing.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), grace);
      }),
    ]);
    clearTimeout(timer);
    if (!closedInTime) first.app.server.closeAllConnections(); // let the rest of the test run
    await closing;

    const created = results.filter((r) => r.status === 201);
    assert.equal(received, N, 'all requests reached the server before close()');
    // Requests already in flight when close() began must be finished, not dropped.
    assert.equal(
      created.length,
      N,
      `replies: ${results.map((r) => `${r.status} ${r.status === 201 ? '' : r.text.slice(0, 120)}`).join(' | ')}`,
    );

    reopened = await startTestServer({ dataDir });
    for (const r of created) {
      assert.ok(r.id);
      const got = await reopened.request('GET', `/api/v1/attestations/${r.id}`, { token: adminToken });
      assert.equal(got.status, 200, `evidence ${r.id} answered 201 must survive shutdown: ${got.text}`);
    }
    for (const s of subjects) {
      assert.equal(
        items(await reopened.request('GET', `/api/v1/attestations?subject=sha256:${s}`, { token: adminToken })).length,
        1,
        `subject ${s} indexed once`,
      );
    }
    // Checked last so that the durability checks above run either way.
    assert.ok(
      closedInTime,
      `server.close() did not finish within Server.ShutdownGraceMs (${grace} ms) after all in-flight requests were answered`,
    );
  });
});
