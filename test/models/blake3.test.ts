/**
 * BLAKE3 (`--hash-type blake3`, issue 11 item 7): known answers, streaming
 * in the worker pool, sign/verify in both methods, and the statement format
 * model_signing writes for it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSigner } from '../../src/crypto/signer.js';
import { buildOmsStatement, HashPool, signModel, verifyModel, type HashJob, type OmsResource } from '../../src/models/index.js';
import { hashBytesHex } from '../../src/models/hashers.js';
import { sealStatement } from '../../src/models/sign.js';
import { flipByte, makeKeyPair, makeModel, makeTempDir, readStatement, removeDir } from '../helpers/model.js';

/**
 * Official BLAKE3 test vectors: BLAKE3-team/BLAKE3, test_vectors/test_vectors.json
 * (commit 92d421dea1a89e2f079f4dbd93b0dab41234b279, CC0/Apache-2.0). The input
 * is the repeating pattern 0, 1, …, 250; the default-length digest is the
 * first 32 bytes of the extended "hash" output given there.
 */
const OFFICIAL_VECTORS: [number, string][] = [
  [0, 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262'],
  [1, '2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213'],
  [1023, '10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11'],
  [1024, '42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7'],
  [1025, 'd00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444'],
  [2049, '5f4d72f40d7a5f82b15ca2b2e44b1de3c2ef86c426c95c1af0b6879522563030'],
  [8193, 'bab6c09cb8ce8cf459261398d2e7aef35700bf488116ceb94a36d0f5f1b7bc3b'],
  [102400, 'bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085'],
];

/** model_signing's own known answer: tests/_hashing/memory_test.py, TestBLAKE3.test_hash_known_value. */
const MODEL_SIGNING_KAT = { input: 'Test string', digest: 'f3adfd721502f7d9510368688a392ab4f29dbff47092c0aea25f638d4985a8b1' };

function pattern(length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = i % 251;
  return b;
}

describe('BLAKE3 known answers', () => {
  test('official test vectors, one-shot', () => {
    for (const [len, want] of OFFICIAL_VECTORS) assert.equal(hashBytesHex('blake3', pattern(len)), want, `input_len ${len}`);
  });

  test("model_signing's BLAKE3 known answer", () => {
    assert.equal(hashBytesHex('blake3', Buffer.from(MODEL_SIGNING_KAT.input)), MODEL_SIGNING_KAT.digest);
  });

  test('the worker pool streams BLAKE3 over file ranges (small read buffer, ranges at offsets)', async (t) => {
    const dir = makeTempDir();
    t.after(() => removeDir(dir));
    const data = Buffer.concat([Buffer.from('HEAD'), pattern(102400), Buffer.from('TAIL')]);
    const path = join(dir, 'v.bin');
    writeFileSync(path, data);
    // Each vector as a range starting 4 bytes in, read 1,000 bytes at a time: chunk and buffer boundaries disagree.
    const jobs: HashJob[] = OFFICIAL_VECTORS.map(([len]) => ({ path, start: 4, end: 4 + len }));
    const pool = new HashPool({ threads: 2, bufferSize: 1000 });
    t.after(() => pool.close());
    const got = await pool.hash(jobs, { algorithm: 'blake3' });
    assert.deepEqual(
      got,
      OFFICIAL_VECTORS.map(([, want]) => want),
    );
  });

  test('a multi-buffer file: streamed digest equals the one-shot digest', async (t) => {
    const dir = makeTempDir();
    t.after(() => removeDir(dir));
    const data = pattern(9 * 1024 * 1024 + 333);
    const path = join(dir, 'big.bin');
    writeFileSync(path, data);
    const pool = new HashPool({ threads: 1, bufferSize: 1024 * 1024 });
    t.after(() => pool.close());
    assert.deepEqual(await pool.hash([{ path, start: 0, end: data.length }], { algorithm: 'blake3' }), [hashBytesHex('blake3', data)]);
  });
});

describe('sign and verify with BLAKE3', () => {
  const keys = makeKeyPair('ecdsa-p256');
  const files = { 'weights.bin': pattern(5000), 'config.json': '{"a":1}', 'tok/vocab.txt': 'hi\n' };

  test('files method: resources are "blake3" digests of each file, the root is SHA-256, verify passes and catches a flipped byte', async (t) => {
    const m = makeModel(files);
    t.after(m.cleanup);
    const r = await signModel({
      modelPath: m.dir,
      privateKey: keys.privateKey,
      signerId: 'b3@example.com',
      hashType: 'blake3',
      threads: 2,
    });
    const st = readStatement(r.signaturePath);
    assert.equal(st.predicate.serialization.method, 'files');
    assert.equal(st.predicate.serialization.hash_type, 'blake3');
    for (const res of st.predicate.resources) assert.equal(res.algorithm, 'blake3');
    const weights = st.predicate.resources.find((x) => x.name === 'weights.bin');
    assert.equal(weights?.digest, hashBytesHex('blake3', pattern(5000)));
    const root = createHash('sha256')
      .update(Buffer.concat(st.predicate.resources.map((x) => Buffer.from(x.digest, 'hex'))))
      .digest('hex');
    assert.deepEqual(st.subject[0]!.digest, { sha256: root });

    const ok = await verifyModel({ modelPath: m.dir, signaturePath: r.signaturePath, publicKey: keys.publicKey, threads: 2 });
    assert.equal(ok.ok, true, JSON.stringify(ok.problems));
    flipByte(join(m.dir, 'weights.bin'), 4321);
    const bad = await verifyModel({ modelPath: m.dir, signaturePath: r.signaturePath, publicKey: keys.publicKey, threads: 2 });
    assert.equal(bad.ok, false);
    assert.deepEqual(
      bad.problems.map((p) => [p.name, p.kind]),
      [['weights.bin', 'modified']],
    );
  });

  test('shards method: "blake3-sharded-<size>" resources (model_signing spelling) or "blake3" (spec spelling), both verify', async (t) => {
    for (const shardAlgorithm of ['model-signing', 'spec'] as const) {
      const m = makeModel(files);
      t.after(m.cleanup);
      const r = await signModel({
        modelPath: m.dir,
        privateKey: keys.privateKey,
        signerId: 'x',
        hashType: 'blake3',
        method: 'shards',
        shardSize: 2048,
        shardAlgorithm,
        threads: 2,
      });
      const st = readStatement(r.signaturePath);
      assert.equal(st.predicate.serialization.hash_type, 'blake3');
      assert.equal(st.predicate.serialization.shard_size, 2048);
      const want = shardAlgorithm === 'spec' ? 'blake3' : 'blake3-sharded-2048';
      for (const res of st.predicate.resources) assert.equal(res.algorithm, want);
      const shard = st.predicate.resources.find((x) => x.name === 'weights.bin:2048:4096');
      assert.equal(shard?.digest, hashBytesHex('blake3', pattern(5000).subarray(2048, 4096)));
      assert.equal((await verifyModel({ modelPath: m.dir, signaturePath: r.signaturePath, publicKey: keys.publicKey })).ok, true);
      flipByte(join(m.dir, 'weights.bin'), 3000);
      const bad = await verifyModel({ modelPath: m.dir, signaturePath: r.signaturePath, publicKey: keys.publicKey });
      assert.deepEqual(
        bad.problems.map((p) => p.name),
        ['weights.bin:2048:4096'],
      );
    }
  });

  test("a statement built the way model_signing builds one for blake3 verifies, and attestry's matches it", async (t) => {
    // model_signing (src/model_signing/_serialization/file.py, manifest.py _FileSerialization,
    // _hashing/memory.py BLAKE3.digest_name, _signing/signing.py): resources {name, algorithm:
    // "blake3", digest}, serialization {method:"files", hash_type:"blake3", allow_symlinks,
    // ignore_paths}, subject digest sha256 over the raw resource digests in name order.
    const m = makeModel(files);
    t.after(m.cleanup);
    const ours = await signModel({ modelPath: m.dir, privateKey: keys.privateKey, signerId: 'x', hashType: 'blake3', threads: 1 });
    const st = readStatement(ours.signaturePath);
    const names = ['config.json', 'tok/vocab.txt', 'weights.bin'];
    const contents: Record<string, Buffer> = {
      'config.json': Buffer.from(files['config.json']),
      'tok/vocab.txt': Buffer.from(files['tok/vocab.txt']),
      'weights.bin': files['weights.bin'],
    };
    const theirs: OmsResource[] = names.map((name) => ({ name, algorithm: 'blake3', digest: hashBytesHex('blake3', contents[name]!) }));
    assert.deepEqual(
      st.predicate.resources.map(({ name, algorithm, digest }) => ({ name, algorithm, digest })),
      theirs,
      'same names, algorithm names and digests as model_signing',
    );
    const serialization = st.predicate.serialization;
    assert.deepEqual(Object.keys(serialization).sort(), ['allow_symlinks', 'hash_type', 'ignore_paths', 'method']);
    const statement = buildOmsStatement(
      m.name,
      theirs,
      { method: 'files', hash_type: 'blake3', allow_symlinks: false, ignore_paths: serialization.ignore_paths ?? [] },
      {},
    );
    assert.deepEqual(statement.subject[0]!.digest, st.subject[0]!.digest, 'same root digest');
    const sig = join(m.base, 'model-signing-style.sig');
    sealStatement(statement, createSigner(keys.privateKey), sig);
    const r = await verifyModel({ modelPath: m.dir, signaturePath: sig, publicKey: keys.publicKey, threads: 1 });
    assert.equal(r.ok, true, JSON.stringify(r.problems));
    assert.equal(r.model.method, 'files');
  });
});
