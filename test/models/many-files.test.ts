/** A model of 10,000 small files. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HashPool, signModel, verifyModel } from '../../src/models/index.js';
import { makeKeyPair, makeTempDir, readStatement, removeDir, sha256HexOf } from '../helpers/model.js';

let pool: HashPool;
before(() => {
  pool = new HashPool({ threads: 2 });
});
after(async () => {
  await pool.close();
});

const keys = makeKeyPair();

describe('10,000 small files', () => {
  test('sign and verify; every file is a resource, sorted, digests right', async (t) => {
    const base = makeTempDir();
    t.after(() => removeDir(base));
    const dir = join(base, 'many');
    const N = 10_000;
    for (let d = 0; d < 100; d++) mkdirSync(join(dir, `d${String(d).padStart(2, '0')}`), { recursive: true });
    for (let i = 0; i < N; i++) {
      writeFileSync(join(dir, `d${String(i % 100).padStart(2, '0')}`, `f${String(i).padStart(5, '0')}.txt`), `file ${i}\n`);
    }
    const signed = await signModel({ modelPath: dir, privateKey: keys.privateKey, signerId: 'x', pool });
    assert.equal(signed.files, N);
    const resources = readStatement(signed.signaturePath).predicate.resources;
    assert.equal(resources.length, N);
    const names = resources.map((r) => r.name);
    assert.deepEqual([...names].sort(), names);
    assert.equal(new Set(names).size, N);
    // spot-check digests
    for (const i of [0, 1, 4242, 9999]) {
      const name = `d${String(i % 100).padStart(2, '0')}/f${String(i).padStart(5, '0')}.txt`;
      assert.equal(resources.find((r) => r.name === name)?.digest, sha256HexOf(`file ${i}\n`), name);
    }
    const r = await verifyModel({ modelPath: dir, signaturePath: signed.signaturePath, publicKey: keys.publicKey, pool });
    assert.equal(r.ok, true, JSON.stringify(r.problems.slice(0, 5)));
    assert.equal(r.filesChecked, N);
    assert.equal(r.model.resources, N);

    writeFileSync(join(dir, 'd42', 'f04242.txt'), 'file 4243\n');
    const bad = await verifyModel({ modelPath: dir, signaturePath: signed.signaturePath, publicKey: keys.publicKey, pool });
    assert.deepEqual(
      bad.problems.map((p) => [p.name, p.kind]),
      [['d42/f04242.txt', 'modified']],
    );
  });
});
