/**
 * The transparency log as clients see it over HTTP: every write is logged
 * and says where; C2SP checkpoint, tiles and entry bundles; JSON proofs;
 * exported bundles that verify offline with attestry and with @sigstore/verify;
 * witness cosignatures; logging switched off; and the `attestry log` CLI.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { publicKeyToPem } from '../../src/crypto/keys.js';
import type { NodeSigner } from '../../src/crypto/signer.js';
import { verifyLogBundle } from '../../src/tlog/bundle.js';
import { openCheckpoint } from '../../src/tlog/checkpoint.js';
import { verifyConsistency, verifyInclusion } from '../../src/tlog/merkle.js';
import { cosignCheckpoint } from '../../src/tlog/monitor.js';
import { formatVerifierKey, NoteSigner, parseVerifierKey, SIG_COSIGNATURE_V1 } from '../../src/tlog/note.js';
import { runCli } from '../helpers/cli.js';
import { isRecord } from '../helpers/model.js';
import { signedStatement, startTestServer, type TestServer } from '../helpers/server.js';
import { naiveLeaf, naiveRoot } from '../tlog/naive.js';

const hex = (): string => randomBytes(32).toString('hex');
function obj(r: { json: unknown; text: string }): Record<string, unknown> {
  assert.ok(isRecord(r.json), `not a JSON object: ${r.text.slice(0, 300)}`);
  return r.json;
}

const witness = new NoteSigner('witness.example/w1', generateKeyPairSync('ed25519').privateKey);
const witnessVkey = formatVerifierKey(witness.name, witness.publicKey, SIG_COSIGNATURE_V1);

let srv: TestServer;
let token: string;
let reader: string;
let signer: NodeSigner;
let vkey: string;
const stored: { id: string; logIndex: number; rekorUuid: string }[] = [];

async function put(n: number): Promise<void> {
  const replies = await Promise.all(
    Array.from({ length: n }, () => srv.request('POST', '/api/v1/attestations', { token, body: signedStatement(signer, hex()) })),
  );
  for (const r of replies) {
    assert.equal(r.status, 201, r.text);
    const b = obj(r);
    assert.equal(typeof b['logIndex'], 'number');
    assert.match(String(b['rekorUuid']), /^[0-9a-f]{64}$/);
    stored.push({ id: String(b['id']), logIndex: b['logIndex'] as number, rekorUuid: String(b['rekorUuid']) });
  }
}

before(async () => {
  srv = await startTestServer({ configure: (c) => void (c.Log.Witnesses = [witnessVkey]) });
  await srv.addTenant('t1');
  await srv.addTenant('t2');
  signer = await srv.trustNewKey('t1', 'key-t1');
  token = await srv.token('signals-service', ['t1']);
  reader = await srv.token('audit-service', ['t2']);
  vkey = String(obj(await srv.request('GET', '/api/v1/log/key'))['verifierKey']);
  await put(1);
  await put(260);
});
after(async () => srv?.stop());

describe('logged writes', () => {
  test('every write gets a distinct, dense log index and its leaf hash as rekorUuid', async () => {
    const indices = stored.map((s) => s.logIndex).sort((a, b) => a - b);
    assert.deepEqual(
      indices,
      Array.from({ length: 261 }, (_, i) => i),
    );
    for (const s of stored.slice(0, 20)) {
      const e = obj(await srv.request('GET', `/api/v1/log/entries/${s.logIndex}`));
      assert.equal(e['leafHash'], s.rekorUuid);
      assert.equal(naiveLeaf(Buffer.from(String(e['body']), 'base64')).toString('hex'), s.rekorUuid, 'leafHash = SHA-256(0x00 || body)');
      const bodyJson = JSON.parse(Buffer.from(String(e['body']), 'base64').toString()) as { kind: string; apiVersion: string };
      assert.equal(bodyJson.kind, 'dsse');
      assert.equal(bodyJson.apiVersion, '0.0.2');
    }
  });

  test('uploading the same bytes again returns the same log entry; GET shows it in meta', async () => {
    const env = signedStatement(signer, hex());
    const first = obj(await srv.request('POST', '/api/v1/attestations', { token, body: env }));
    const again = await srv.request('POST', '/api/v1/attestations', { token, body: env });
    assert.equal(again.status, 200);
    assert.equal(obj(again)['logIndex'], first['logIndex']);
    assert.equal(obj(again)['rekorUuid'], first['rekorUuid']);
    const got = obj(await srv.request('GET', `/api/v1/attestations/${String(first['id'])}`, { token }));
    const meta = got['meta'] as Record<string, unknown>;
    assert.equal(meta['logIndex'], first['logIndex']);
    assert.equal(meta['rekorUuid'], first['rekorUuid']);
    stored.push({ id: String(first['id']), logIndex: first['logIndex'] as number, rekorUuid: String(first['rekorUuid']) });
  });
});

describe('C2SP tlog-tiles read API', () => {
  test('/metrics reports the log size', async () => {
    const m = await srv.request('GET', '/metrics');
    const size = /^attestry_tlog_tree_size (\d+)$/m.exec(m.text);
    assert.ok(size, m.text.slice(0, 200));
    assert.ok(Number(size[1]) >= 261);
  });

  test('checkpoint: text/plain, not cached, signed by the published key', async () => {
    const r = await srv.request('GET', '/tlog/checkpoint');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain; charset=utf-8/);
    assert.match(r.headers.get('cache-control') ?? '', /no-cache/);
    const cp = openCheckpoint(r.text, parseVerifierKey(vkey));
    assert.equal(cp.origin, 'attestry.local/log');
    assert.equal(cp.size, 262);
    assert.match(vkey, /^attestry\.local\/log\+[0-9a-f]{8}\+/);
  });

  test('tiles and entry bundles hash to the checkpoint root; full tiles are immutable', async () => {
    const cp = openCheckpoint((await srv.request('GET', '/tlog/checkpoint')).text, parseVerifierKey(vkey));
    const full = await fetch(`${srv.url}/tlog/tile/0/000`);
    assert.equal(full.status, 200);
    assert.match(full.headers.get('cache-control') ?? '', /immutable/);
    assert.equal(full.headers.get('content-type'), 'application/octet-stream');
    const tile0 = Buffer.from(await full.arrayBuffer());
    assert.equal(tile0.length, 8192);
    const tile1 = Buffer.from(await (await fetch(`${srv.url}/tlog/tile/0/001.p/6`)).arrayBuffer());
    assert.equal(tile1.length, 6 * 32);
    const leaves = [...Array(256 + 6).keys()].map((i) => (i < 256 ? tile0 : tile1).subarray((i % 256) * 32, (i % 256) * 32 + 32));
    assert.deepEqual(naiveRoot(leaves), cp.root);
    const level1 = Buffer.from(await (await fetch(`${srv.url}/tlog/tile/1/000.p/1`)).arrayBuffer());
    assert.deepEqual(level1, naiveRoot(leaves.slice(0, 256)));
    const bundle = Buffer.from(await (await fetch(`${srv.url}/tlog/tile/entries/001.p/6`)).arrayBuffer());
    let at = 0;
    for (let i = 0; i < 6; i++) {
      const len = bundle.readUInt16BE(at);
      assert.deepEqual(naiveLeaf(bundle.subarray(at + 2, at + 2 + len)), leaves[256 + i]);
      at += 2 + len;
    }
    assert.equal(at, bundle.length);
  });

  test('tile paths that do not exist or are malformed are refused', async () => {
    assert.equal((await srv.request('GET', '/tlog/tile/0/001.p/7')).status, 404);
    assert.equal((await srv.request('GET', '/tlog/tile/0/001')).status, 404);
    assert.equal((await srv.request('GET', '/tlog/tile/2/000.p/1')).status, 404);
    for (const bad of [
      '/tlog/tile/0/1',
      '/tlog/tile/0/000.p/0',
      '/tlog/tile/0/000.p/256',
      '/tlog/tile/00/000',
      '/tlog/tile/64/000',
      '/tlog/tile/x/000',
      '/tlog/tile/entries/x000/001',
    ]) {
      const r = await srv.request('GET', bad);
      assert.equal(r.status, 400, `${bad}: ${r.text}`);
      assert.equal(obj(r)['code'], 'E_INVALID_INPUT');
    }
  });

  test('JSON proofs verify: inclusion by index and by leaf hash, consistency between sizes', async () => {
    const cp = openCheckpoint((await srv.request('GET', '/tlog/checkpoint')).text, parseVerifierKey(vkey));
    for (const s of stored.slice(0, 5)) {
      for (const q of [`index=${s.logIndex}`, `leaf=${s.rekorUuid}`]) {
        const p = obj(await srv.request('GET', `/api/v1/log/proof/inclusion?${q}`));
        assert.equal(p['index'], s.logIndex);
        assert.equal(p['treeSize'], cp.size);
        assert.equal(p['rootHash'], cp.root.toString('hex'));
        verifyInclusion(
          s.logIndex,
          cp.size,
          Buffer.from(s.rekorUuid, 'hex'),
          (p['hashes'] as string[]).map((h) => Buffer.from(h, 'hex')),
          cp.root,
        );
      }
    }
    const old = obj(await srv.request('GET', '/api/v1/log/proof/inclusion?index=0&size=100'));
    const c = obj(await srv.request('GET', `/api/v1/log/proof/consistency?from=100&to=${cp.size}`));
    verifyConsistency(
      100,
      cp.size,
      (c['hashes'] as string[]).map((h) => Buffer.from(h, 'hex')),
      Buffer.from(String(old['rootHash']), 'hex'),
      cp.root,
    );
    assert.equal((await srv.request('GET', `/api/v1/log/proof/inclusion?index=${cp.size}`)).status, 400);
    assert.equal((await srv.request('GET', `/api/v1/log/proof/inclusion?index=0&size=${cp.size + 1}`)).status, 404);
    assert.equal((await srv.request('GET', `/api/v1/log/proof/inclusion?leaf=${hex()}`)).status, 404);
    assert.equal((await srv.request('GET', '/api/v1/log/proof/inclusion?leaf=zz')).status, 400);
    assert.equal((await srv.request('GET', '/api/v1/log/proof/consistency?from=9&to=3')).status, 400);
    assert.equal((await srv.request('GET', '/api/v1/log/entries/-1')).status, 400);
    assert.equal((await srv.request('GET', `/api/v1/log/entries/${cp.size}`)).status, 404);
  });
});

describe('exported bundles', () => {
  test('verify offline with attestry and with @sigstore/verify; tampering fails both', async () => {
    const s = stored[7] as (typeof stored)[number];
    const r = await srv.request('GET', `/api/v1/attestations/${s.id}/bundle`, { token });
    assert.equal(r.status, 200, r.text);
    const bundle = obj(r);
    const result = verifyLogBundle(bundle, { logKey: parseVerifierKey(vkey), signerKey: signer.publicKey });
    assert.equal(result.logIndex, s.logIndex);
    const root = obj(await srv.request('GET', '/api/v1/log/trusted-root'));
    const trust = toTrustMaterial(TrustedRoot.fromJSON(root), () => ({ publicKey: signer.publicKey, validFor: () => true }));
    const verifier = new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 0 });
    verifier.verify(toSignedEntity(bundleFromJSON(bundle)));
    // One flipped character in the payload.
    const tampered = structuredClone(bundle) as { dsseEnvelope: { payload: string } };
    const p = Buffer.from(tampered.dsseEnvelope.payload, 'base64');
    p[10] = (p[10] as number) ^ 1;
    tampered.dsseEnvelope.payload = p.toString('base64');
    assert.throws(() => verifyLogBundle(tampered, { logKey: parseVerifierKey(vkey) }), { code: 'E_DIGEST_MISMATCH' });
    assert.throws(() => verifier.verify(toSignedEntity(bundleFromJSON(tampered))));
    // Another log's key does not vouch for the checkpoint.
    const other = new NoteSigner('attestry.local/log', generateKeyPairSync('ed25519').privateKey);
    assert.throws(() => verifyLogBundle(bundle, { logKey: parseVerifierKey(other.verifierKey) }), { code: 'E_SIGNATURE_INVALID' });
  });

  test('follow read access: another tenant gets 404', async () => {
    const r = await srv.request('GET', `/api/v1/attestations/${(stored[0] as (typeof stored)[number]).id}/bundle`, { token: reader });
    assert.equal(r.status, 404);
  });

  test('attestry log verify and log prove from the CLI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attestry-logcli-'));
    try {
      const s = stored[3] as (typeof stored)[number];
      const bundle = (await srv.request('GET', `/api/v1/attestations/${s.id}/bundle`, { token })).text;
      writeFileSync(join(dir, 'b.json'), bundle);
      writeFileSync(join(dir, 'signer.pem'), publicKeyToPem(signer.publicKey));
      writeFileSync(join(dir, 'log.vkey'), `${vkey}\n`);
      const ok = await runCli([
        'log',
        'verify',
        '--bundle',
        join(dir, 'b.json'),
        '--log-key',
        `@${join(dir, 'log.vkey')}`,
        '--key',
        join(dir, 'signer.pem'),
        '--json',
      ]);
      assert.equal(ok.code, 0, ok.stderr + ok.stdout);
      assert.equal((JSON.parse(ok.stdout) as { logIndex: number }).logIndex, s.logIndex);
      const wrong = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
      writeFileSync(join(dir, 'wrong.pem'), wrong);
      const bad = await runCli(['log', 'verify', '--bundle', join(dir, 'b.json'), '--log-key', vkey, '--key', join(dir, 'wrong.pem')]);
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, /E_KEY_MISMATCH/);
      writeFileSync(join(dir, 'junk.json'), '{"mediaType": 1');
      const junk = await runCli(['log', 'verify', '--bundle', join(dir, 'junk.json'), '--log-key', vkey]);
      assert.equal(junk.code, 1, junk.stderr);
      assert.doesNotMatch(junk.stderr, /at .*\.js/, 'no stack trace');
      const prove = await runCli(['log', 'prove', '--leaf', s.rekorUuid, '--server', srv.url, '--log-key', vkey, '--json']);
      assert.equal(prove.code, 0, prove.stderr);
      assert.equal((JSON.parse(prove.stdout) as { index: number }).index, s.logIndex);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('monitor and witnesses', () => {
  test('attestry log monitor keeps state, follows growth, and exits 2 on rollback or fork', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attestry-monitor-'));
    const state = join(dir, 'state.json');
    try {
      const first = await runCli(['log', 'monitor', '--once', '--state', state, '--server', srv.url, '--log-key', vkey, '--json']);
      assert.equal(first.code, 0, first.stderr);
      assert.equal((JSON.parse(first.stdout) as { status: string }).status, 'first');
      await put(3);
      const grown = await runCli(['log', 'monitor', '--once', '--state', state, '--server', srv.url, '--json']);
      assert.equal(grown.code, 0, grown.stderr);
      assert.equal((JSON.parse(grown.stdout) as { status: string }).status, 'grown');
      const same = await runCli(['log', 'monitor', '--once', '--state', state, '--server', srv.url, '--json']);
      assert.equal((JSON.parse(same.stdout) as { status: string }).status, 'unchanged');
      const saved = JSON.parse(readFileSync(state, 'utf8')) as { size: number; rootHash: string };
      // A monitor that remembers a bigger tree sees a rollback.
      writeFileSync(state, JSON.stringify({ ...saved, size: saved.size + 5 }));
      const rollback = await runCli(['log', 'monitor', '--once', '--state', state, '--server', srv.url]);
      assert.equal(rollback.code, 2, rollback.stderr);
      assert.match(rollback.stderr, /ROLLBACK/);
      // The same size with another root is a fork; so is an older root that the new tree does not extend.
      writeFileSync(state, JSON.stringify({ ...saved, rootHash: randomBytes(32).toString('base64') }));
      const fork = await runCli(['log', 'monitor', '--once', '--state', state, '--server', srv.url]);
      assert.equal(fork.code, 2, fork.stderr);
      assert.match(fork.stderr, /FORK/);
      writeFileSync(state, JSON.stringify({ ...saved, size: saved.size - 1 }));
      const forkOld = await runCli(['log', 'monitor', '--once', '--state', state, '--server', srv.url]);
      assert.equal(forkOld.code, 2, forkOld.stderr);
      assert.match(forkOld.stderr, /FORK/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a configured witness cosigns; the checkpoint is then served with its cosignature', async () => {
    const note = (await srv.request('GET', '/tlog/checkpoint')).text;
    const cosigned = cosignCheckpoint(note, witness);
    const r = await srv.request('POST', '/api/v1/log/cosignatures', { rawBody: cosigned, headers: { 'content-type': 'text/plain' } });
    assert.equal(r.status, 201, r.text);
    const served = (await srv.request('GET', '/tlog/checkpoint')).text;
    const cp = openCheckpoint(served, parseVerifierKey(vkey), { witnesses: [parseVerifierKey(witnessVkey)], minCosigners: 1 });
    assert.equal(cp.cosigners[0]?.name, witness.name);
    // An unknown witness, or a checkpoint body the log never signed, is refused.
    const stranger = new NoteSigner('stranger.example/w', generateKeyPairSync('ed25519').privateKey);
    assert.equal(
      (
        await srv.request('POST', '/api/v1/log/cosignatures', {
          rawBody: cosignCheckpoint(note, stranger),
          headers: { 'content-type': 'text/plain' },
        })
      ).status,
      422,
    );
    const forged = cosigned.replace(/\n\d+\n/, '\n1\n');
    assert.equal(
      (await srv.request('POST', '/api/v1/log/cosignatures', { rawBody: forged, headers: { 'content-type': 'text/plain' } })).status,
      422,
    );
  });
});

describe('logging switched off (air gap without a log)', () => {
  test('writes carry skipReason and no log index; bundles are not offered', async () => {
    const off = await startTestServer({ env: { ATTESTRY__Signals__Provenance__RekorEnabled: 'false' } });
    try {
      await off.addTenant('t1');
      const s = await off.trustNewKey('t1', 'k');
      const t = await off.token('signals-service', ['t1']);
      const r = await off.request('POST', '/api/v1/attestations', { token: t, body: signedStatement(s, hex()) });
      assert.equal(r.status, 201, r.text);
      const b = obj(r);
      assert.equal(b['logIndex'], null);
      assert.equal(b['rekorUuid'], null);
      assert.match(String(b['skipReason']), /RekorEnabled: false/);
      assert.equal((await off.request('GET', `/api/v1/attestations/${String(b['id'])}/bundle`, { token: t })).status, 404);
      const cp = openCheckpoint(
        (await off.request('GET', '/tlog/checkpoint')).text,
        parseVerifierKey(String(obj(await off.request('GET', '/api/v1/log/key'))['verifierKey'])),
      );
      assert.equal(cp.size, 0);
    } finally {
      await off.stop();
    }
  });
});
