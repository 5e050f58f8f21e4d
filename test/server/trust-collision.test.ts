/**
 * Issue 12 defect 6: a tenant key listed under the service key's id must not
 * make the log record the wrong verifier. The log entry names the key that
 * actually verified, and `key trust` refuses ids that would collide.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateKeyPair, keyFingerprint, publicKeyToPem, requireKeyObject } from '../../src/crypto/keys.js';
import { trustPublicKey } from '../../src/evidence/trust.js';
import { verifyLogBundle } from '../../src/tlog/bundle.js';
import { parseDsseEntryBody } from '../../src/tlog/entry.js';
import { parseVerifierKey } from '../../src/tlog/note.js';
import { runCli } from '../helpers/cli.js';
import { isRecord } from '../helpers/model.js';
import { signedStatement, startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
let token: string;

before(async () => {
  srv = await startTestServer();
  await srv.addTenant('t1');
  token = await srv.token('signals-service', ['t1']);
});
after(async () => srv?.stop());

const admin = (...args: string[]) => runCli([...args, '--data-dir', srv.dataDir, '--json']);

describe('the log records the key that verified', () => {
  test('an upload signed by the service key, with a tenant key under the same id, is logged with the service key', async () => {
    const serviceKeyId = srv.services.signingKey.keyId;
    const other = generateKeyPair('ed25519');
    // As a database written before ids were checked may hold it.
    await trustPublicKey(srv.services.repos.trustedKeys, 't1', serviceKeyId, other.publicKey, new Date());
    const signer = srv.services.keyring.signer(serviceKeyId);
    const put = await srv.request('POST', '/api/v1/attestations', {
      token,
      body: signedStatement(signer, randomBytes(32).toString('hex')),
    });
    assert.equal(put.status, 201, put.text);
    assert.ok(isRecord(put.json));
    const entry = await srv.request('GET', `/api/v1/log/entries/${String(put.json['logIndex'])}`);
    assert.ok(isRecord(entry.json));
    const logged = parseDsseEntryBody(Buffer.from(String(entry.json['body']), 'base64'));
    assert.equal(keyFingerprint(logged.signatures[0]!.publicKey), keyFingerprint(signer.publicKey), 'the log entry names the service key');
    const bundle = await srv.request('GET', `/api/v1/attestations/${String(put.json['id'])}/bundle`, { token });
    assert.equal(bundle.status, 200, bundle.text);
    const vkey = await srv.request('GET', '/api/v1/log/key');
    assert.ok(isRecord(vkey.json));
    const r = verifyLogBundle(bundle.json, {
      logKey: parseVerifierKey(String(vkey.json['verifierKey'])),
      signerKey: requireKeyObject(signer.publicKey, 'a log bundle'),
    });
    assert.equal(r.signer, keyFingerprint(signer.publicKey));
  });
});

describe('key trust refuses colliding ids', () => {
  test("a tenant key under a service key's id is refused, naming the service key", async () => {
    const pem = join(srv.dataDir, 'other.pub.pem');
    writeFileSync(pem, publicKeyToPem(generateKeyPair('ed25519').publicKey));
    await srv.addTenant('t2');
    const r = await admin('key', 'trust', '--tenant', 't2', '--key-id', srv.services.signingKey.keyId, '--public-key', pem);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /E_CONFLICT/);
    assert.match(r.stdout + r.stderr, /service/);
    const listed = await admin('key', 'list', '--tenant', 't2');
    assert.doesNotMatch(listed.stdout, new RegExp(srv.services.signingKey.keyId));
  });

  test('the same id twice in one tenant is refused; another tenant may use it', async () => {
    const pem = join(srv.dataDir, 'k.pub.pem');
    writeFileSync(pem, publicKeyToPem(generateKeyPair('ed25519').publicKey));
    await srv.addTenant('t3');
    await srv.addTenant('t4');
    assert.equal((await admin('key', 'trust', '--tenant', 't3', '--key-id', 'team-key', '--public-key', pem)).code, 0);
    const again = await admin('key', 'trust', '--tenant', 't3', '--key-id', 'team-key', '--public-key', pem);
    assert.equal(again.code, 1, again.stdout + again.stderr);
    assert.match(again.stdout + again.stderr, /E_CONFLICT/);
    assert.equal((await admin('key', 'trust', '--tenant', 't4', '--key-id', 'team-key', '--public-key', pem)).code, 0);
  });
});
