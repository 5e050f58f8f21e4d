/**
 * Signatures are reproducible (issue 12): same files, same key, same options
 * → the same statement bytes. File mtimes (what `--reuse-digests` compares)
 * live in a sidecar next to the signature (`<signature>.reuse.json`), not in
 * the signed statement, and no signing time is signed either.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HashPool, signModel, verifyModel } from '../../src/models/index.js';
import { makeKeyPair, makeModel, readBundle, readStatement, SAMPLE_FILES } from '../helpers/model.js';

let pool: HashPool;
before(() => {
  pool = new HashPool({ threads: 2 });
});
after(async () => {
  await pool.close();
});

const keys = makeKeyPair('ed25519');
const metadata = { modelName: 'tiny', modelVersion: '1.0.0' };

function touchAll(dir: string, names: string[], seconds: number): void {
  for (const n of names) utimesSync(join(dir, ...n.split('/')), seconds, seconds);
}

describe('reproducible signatures', () => {
  for (const method of ['files', 'shards'] as const) {
    test(`${method}: signing twice, with every mtime changed in between, gives the same DSSE payload and (Ed25519) the same signature file`, async (t) => {
      const m = makeModel(SAMPLE_FILES);
      t.after(m.cleanup);
      const opts = { modelPath: m.dir, privateKey: keys.privateKey, signerId: 'ci@example.com', metadata, pool, method, shardSize: 1000 };
      touchAll(m.dir, Object.keys(SAMPLE_FILES), 1_600_000_000);
      const first = await signModel(opts);
      const firstBytes = readFileSync(first.signaturePath);
      const firstSidecar = readFileSync(`${first.signaturePath}.reuse.json`, 'utf8');
      await new Promise((r) => setTimeout(r, 5)); // a different wall-clock time too
      touchAll(m.dir, Object.keys(SAMPLE_FILES), 1_700_000_000);
      const second = await signModel(opts);
      assert.equal(readBundle(second.signaturePath).dsseEnvelope.payload, JSON.parse(firstBytes.toString('utf8')).dsseEnvelope.payload);
      assert.deepEqual(readFileSync(second.signaturePath), firstBytes);
      // The statement carries no stat data and no time.
      const st = readStatement(second.signaturePath);
      assert.ok(
        st.predicate.resources.every((r) => r.annotations === undefined),
        JSON.stringify(st.predicate.resources[0]),
      );
      assert.equal(st.subject[0]!.annotations?.['signedAt'], undefined);
      // The sidecar followed the mtimes.
      assert.notEqual(readFileSync(`${second.signaturePath}.reuse.json`, 'utf8'), firstSidecar);
      const r = await verifyModel({ modelPath: m.dir, signaturePath: second.signaturePath, publicKey: keys.publicKey, pool });
      assert.equal(r.ok, true, JSON.stringify(r.problems));
    });
  }

  test('--reuse-digests gives the same statement as a full re-hash', async (t) => {
    const m = makeModel(SAMPLE_FILES);
    t.after(m.cleanup);
    const opts = { modelPath: m.dir, privateKey: keys.privateKey, signerId: 'x', pool };
    const first = await signModel(opts);
    const reused = await signModel({ ...opts, reuseDigestsFrom: first.signaturePath });
    assert.equal(reused.filesReused, Object.keys(SAMPLE_FILES).length);
    assert.deepEqual(reused.statement, first.statement);
  });
});

describe('the reuse sidecar', () => {
  test('lives next to the signature, is left out of the model, and is bound to its signature', async (t) => {
    const m = makeModel(SAMPLE_FILES);
    t.after(m.cleanup);
    const opts = { modelPath: m.dir, privateKey: keys.privateKey, signerId: 'x', pool };
    const first = await signModel(opts);
    const sidecar = `${first.signaturePath}.reuse.json`;
    assert.ok(existsSync(sidecar));
    assert.ok(readStatement(first.signaturePath).predicate.serialization.ignore_paths?.includes('model.sig.reuse.json'));
    // Another signature's sidecar (another payload) is not used: everything is re-hashed.
    writeFileSync(join(m.dir, 'README.md'), '# changed\n');
    const other = await signModel({ ...opts, output: join(m.base, 'other.sig') });
    copyFileSync(`${other.signaturePath}.reuse.json`, sidecar);
    const again = await signModel({ ...opts, reuseDigestsFrom: first.signaturePath, output: join(m.base, 'again.sig') });
    assert.equal(again.filesReused, 0);
    assert.equal(again.bytesHashed, again.bytesTotal);
  });
});
