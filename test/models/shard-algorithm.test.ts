/** Shard resource `algorithm` spelling: model_signing's `sha256-sharded-N` by default, the spec's `sha256` on request. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { signModel, verifyModel } from '../../src/models/index.js';
import { makeKeyPair, makeModel, readStatement } from '../helpers/model.js';

test('both shard algorithm spellings are written as asked and verify', async (t) => {
  const model = makeModel({ 'weights.bin': 'x'.repeat(2500), 'config.json': '{}' });
  t.after(() => model.cleanup());
  const { privateKey, publicKey } = makeKeyPair('ecdsa-p256');
  const expected = { 'model-signing': 'sha256-sharded-1000', spec: 'sha256' } as const;
  for (const spelling of ['model-signing', 'spec'] as const) {
    const output = join(model.base, `${spelling}.sig`);
    await signModel({
      modelPath: model.dir,
      privateKey,
      signerId: 'ci',
      output,
      method: 'shards',
      shardSize: 1000,
      shardAlgorithm: spelling,
      threads: 1,
    });
    const statement = readStatement(output);
    const resources = (statement.predicate as { resources: { name: string; algorithm: string }[] }).resources;
    assert.deepEqual(
      resources.map((r) => r.name),
      ['config.json:0:2', 'weights.bin:0:1000', 'weights.bin:1000:2000', 'weights.bin:2000:2500'],
    );
    assert.ok(
      resources.every((r) => r.algorithm === expected[spelling]),
      `${spelling}: ${JSON.stringify(resources)}`,
    );
    const result = await verifyModel({ modelPath: model.dir, signaturePath: output, publicKey, threads: 1 });
    assert.equal(result.ok, true, JSON.stringify(result.problems));
  }
});
