/**
 * A signed statement must describe each file once (issue 12 defect 3):
 * duplicate resource names, and shard ranges of a file that overlap, leave a
 * gap or do not start at 0, are refused when the statement is parsed
 * (E_SIGNATURE_FORMAT naming the resource), even when correctly signed. And
 * the root digest `verify` reports is the digest of the files on disk.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HashPool, inspectSignature, modelDigest, signModel, verifyModel } from '../../src/models/index.js';
import { buildOmsStatement, type OmsResource, type OmsSerialization } from '../../src/models/oms.js';
import { sealStatement } from '../../src/models/sign.js';
import { createSigner } from '../../src/crypto/signer.js';
import { expectAttestryError, expectRejects, makeKeyPair, makeModel, sha256HexOf } from '../helpers/model.js';

let pool: HashPool;
before(() => {
  pool = new HashPool({ threads: 2 });
});
after(async () => {
  await pool.close();
});

const keys = makeKeyPair();
const A = 'the only a.bin';

function signed(dir: string, resources: OmsResource[], serialization: OmsSerialization): string {
  const path = join(dir, 'model.sig');
  sealStatement(
    buildOmsStatement('m', resources, { ...serialization, ignore_paths: ['model.sig'] }, { signerId: 'x' }),
    createSigner(keys.privateKey),
    path,
  );
  return path;
}

const files: OmsSerialization = { method: 'files', hash_type: 'sha256', allow_symlinks: false };
const shards: OmsSerialization = { method: 'shards', hash_type: 'sha256', allow_symlinks: false, shard_size: 10 };

describe('duplicate resources', () => {
  test('a.bin listed twice (two digests) against a directory holding only a.bin → E_SIGNATURE_FORMAT naming it', async (t) => {
    const m = makeModel({ 'a.bin': A });
    t.after(m.cleanup);
    const sig = signed(
      m.dir,
      [
        { name: 'a.bin', algorithm: 'sha256', digest: sha256HexOf(A) },
        { name: 'a.bin', algorithm: 'sha256', digest: sha256HexOf('another a.bin') },
      ],
      files,
    );
    await expectRejects(
      verifyModel({ modelPath: m.dir, signaturePath: sig, publicKey: keys.publicKey, pool }),
      'E_SIGNATURE_FORMAT',
      /"a\.bin"/,
      /more than once/,
    );
    expectAttestryError(() => inspectSignature(sig), 'E_SIGNATURE_FORMAT', /"a\.bin"/);
  });

  test('the same shard twice → E_SIGNATURE_FORMAT naming it', async (t) => {
    const m = makeModel({ 'w.bin': '0123456789' });
    t.after(m.cleanup);
    const d = sha256HexOf('0123456789');
    const sig = signed(
      m.dir,
      [
        { name: 'w.bin:0:10', algorithm: 'sha256', digest: d },
        { name: 'w.bin:0:10', algorithm: 'sha256', digest: d },
      ],
      shards,
    );
    await expectRejects(
      verifyModel({ modelPath: m.dir, signaturePath: sig, publicKey: keys.publicKey, pool }),
      'E_SIGNATURE_FORMAT',
      /w\.bin:0:10/,
    );
  });

  for (const [what, ranges, pattern] of [
    [
      'overlapping',
      [
        [0, 10],
        [5, 15],
      ],
      /overlap/,
    ],
    [
      'gapped',
      [
        [0, 10],
        [12, 20],
      ],
      /gap/,
    ],
    [
      'not starting at 0',
      [
        [2, 10],
        [10, 20],
      ],
      /start at 0|gap/,
    ],
  ] as const) {
    test(`${what} shard ranges of one file → E_SIGNATURE_FORMAT naming the file`, async (t) => {
      const m = makeModel({ 'w.bin': '0123456789abcdefghij' });
      t.after(m.cleanup);
      const sig = signed(
        m.dir,
        ranges.map(([s, e]) => ({ name: `w.bin:${s}:${e}`, algorithm: 'sha256', digest: sha256HexOf(`${s}-${e}`) })),
        shards,
      );
      await expectRejects(
        verifyModel({ modelPath: m.dir, signaturePath: sig, publicKey: keys.publicKey, pool }),
        'E_SIGNATURE_FORMAT',
        /w\.bin/,
        pattern,
      );
    });
  }

  test('contiguous shards of several files still verify', async (t) => {
    const m = makeModel({ 'w.bin': '0123456789abcdefghij', 'x.bin': 'short' });
    t.after(m.cleanup);
    const r = await signModel({ modelPath: m.dir, privateKey: keys.privateKey, signerId: 'x', method: 'shards', shardSize: 10, pool });
    assert.equal(r.resources, 3);
    assert.equal((await verifyModel({ modelPath: m.dir, signaturePath: r.signaturePath, publicKey: keys.publicKey, pool })).ok, true);
  });
});

describe('the reported root digest', () => {
  test('is recomputed from the files on disk: after a change it is the digest of the changed model, the signed one is reported apart', async (t) => {
    const m = makeModel({ 'a.bin': A, 'b.bin': 'b' });
    t.after(m.cleanup);
    const s = await signModel({ modelPath: m.dir, privateKey: keys.privateKey, signerId: 'x', pool });
    const ok = await verifyModel({ modelPath: m.dir, signaturePath: s.signaturePath, publicKey: keys.publicKey, pool });
    assert.equal(ok.model.rootDigest, s.rootDigest);
    assert.equal(ok.model.signedRootDigest, s.rootDigest);

    writeFileSync(join(m.dir, 'b.bin'), 'B');
    const bad = await verifyModel({ modelPath: m.dir, signaturePath: s.signaturePath, publicKey: keys.publicKey, pool });
    assert.equal(bad.ok, false);
    assert.equal(bad.model.signedRootDigest, s.rootDigest);
    assert.equal(bad.model.rootDigest, (await modelDigest(m.dir, { pool })).rootDigest);
    assert.notEqual(bad.model.rootDigest, s.rootDigest);

    // An unsigned extra file is part of what is on disk too.
    writeFileSync(join(m.dir, 'b.bin'), 'b');
    writeFileSync(join(m.dir, 'c.bin'), 'c');
    const extra = await verifyModel({ modelPath: m.dir, signaturePath: s.signaturePath, publicKey: keys.publicKey, pool });
    assert.deepEqual(
      extra.problems.map((p) => [p.name, p.kind]),
      [['c.bin', 'unsigned']],
    );
    assert.equal(extra.model.rootDigest, (await modelDigest(m.dir, { pool })).rootDigest);
  });
});
