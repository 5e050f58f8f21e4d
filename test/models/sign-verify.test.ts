/**
 * signModel / verifyModel round trips and the exact shape of what is written:
 * Sigstore bundle v0.3, DSSE, in-toto statement with the OMS v1.0 predicate.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { HashPool, inspectSignature, modelDigest, OMS_PREDICATE_TYPE, signModel, verifyModel } from '../../src/models/index.js';
import { omsKeyHint, publicKeyToPem, type NodeKeyAlgorithm } from '../../src/crypto/keys.js';
import {
  expectRejects,
  fileSha256,
  makeKeyPair,
  makeModel,
  makeTempDir,
  readBundle,
  readStatement,
  removeDir,
  SAMPLE_FILES,
  sha256HexOf,
  type TestKeyPair,
} from '../helpers/model.js';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

let pool: HashPool;
before(() => {
  pool = new HashPool({ threads: 2 });
});
after(async () => {
  await pool.close();
});

describe('sign/verify round trip', () => {
  const algorithms: NodeKeyAlgorithm[] = ['ed25519', 'ecdsa-p256', 'ecdsa-p384'];
  for (const algorithm of algorithms) {
    test(`${algorithm}: a freshly signed model verifies with no problems`, async (t) => {
      const m = makeModel(SAMPLE_FILES);
      t.after(m.cleanup);
      const keys = makeKeyPair(algorithm);
      const signed = await signModel({ modelPath: m.dir, privateKey: keys.privateKey, signerId: 'ci@example.com', pool });
      assert.equal(signed.signaturePath, join(m.dir, 'model.sig'));
      assert.ok(existsSync(signed.signaturePath));
      assert.equal(signed.algorithm, algorithm);
      assert.equal(signed.files, 5);
      assert.equal(signed.resources, 5);
      const total = Object.values(SAMPLE_FILES).reduce((n, c) => n + Buffer.byteLength(c), 0);
      assert.equal(signed.bytesTotal, total);
      assert.equal(signed.bytesHashed, total);
      assert.equal(signed.filesReused, 0);

      const r = await verifyModel({ modelPath: m.dir, signaturePath: signed.signaturePath, publicKey: keys.publicKey, pool });
      assert.deepEqual(r.problems, []);
      assert.equal(r.ok, true);
      assert.equal(r.signature.valid, true);
      assert.equal(r.signature.algorithm, algorithm);
      assert.equal(r.signature.keyFingerprint, signed.keyFingerprint);
      assert.equal(r.signature.legacyFormat, false);
      assert.equal(r.model.name, 'my-model');
      assert.equal(r.model.rootDigest, signed.rootDigest);
      assert.equal(r.model.method, 'files');
      assert.equal(r.model.resources, 5);
      assert.equal(r.filesChecked, 5);
      assert.equal(r.bytesChecked, total);
      assert.equal(r.metadata.signerId, 'ci@example.com');
    });
  }

  test('signing with the default pool (no pool given) and verifying with threads: 1', async (t) => {
    const m = makeModel({ 'a.bin': 'a', 'b.bin': 'bb' });
    t.after(m.cleanup);
    const keys = makeKeyPair();
    const signed = await signModel({ modelPath: m.dir, privateKey: keys.privateKey, signerId: 'x', threads: 2 });
    const r = await verifyModel({ modelPath: m.dir, signaturePath: signed.signaturePath, publicKey: keys.publicKey, threads: 1 });
    assert.equal(r.ok, true);
  });

  test('the signature can be written outside the model directory', async (t) => {
    const m = makeModel(SAMPLE_FILES);
    t.after(m.cleanup);
    const keys = makeKeyPair();
    const output = join(m.base, 'elsewhere.sig');
    const signed = await signModel({ modelPath: m.dir, privateKey: keys.privateKey, signerId: 'x', output, pool });
    assert.equal(signed.signaturePath, output);
    assert.equal(existsSync(join(m.dir, 'model.sig')), false);
    const st = readStatement(output);
    assert.ok(
      !(st.predicate.serialization.ignore_paths ?? []).includes('model.sig'),
      'model.sig is not ignored when the signature lives elsewhere',
    );
    const r = await verifyModel({ modelPath: m.dir, signaturePath: output, publicKey: keys.publicKey, pool });
    assert.equal(r.ok, true);
  });
});

describe('what is written', () => {
  let m: ReturnType<typeof makeModel>;
  let keys: TestKeyPair;
  let sigPath: string;
  let rootDigest: string;

  before(async () => {
    m = makeModel({ ...SAMPLE_FILES, 'empty.bin': '', '.git/HEAD': 'ref: refs/heads/main\n', '.gitignore': '*.tmp\n' }, 'bert-tiny');
    keys = makeKeyPair('ecdsa-p256');
    const r = await signModel({
      modelPath: m.dir,
      privateKey: keys.privateKey,
      signerId: 'release@example.com',
      metadata: { modelName: 'BERT tiny', modelVersion: '1.2.3', framework: 'pytorch', author: 'ML team', description: 'a test model' },
      pool,
    });
    sigPath = r.signaturePath;
    rootDigest = r.rootDigest;
  });
  after(() => m.cleanup());

  test('bundle: Sigstore v0.3 media type, DSSE in-toto payload, key hint = sha256 of the SPKI PEM text', () => {
    const bundle = readBundle(sigPath);
    assert.equal(bundle.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.equal(bundle.dsseEnvelope.payloadType, 'application/vnd.in-toto+json');
    assert.equal(bundle.dsseEnvelope.signatures.length, 1);
    const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const hint = bundle.verificationMaterial.publicKey?.hint;
    assert.equal(hint, createHash('sha256').update(pem, 'utf8').digest('hex'));
    assert.equal(hint, omsKeyHint(keys.publicKey));
    assert.match(hint ?? '', /^[0-9a-f]{64}$/);
  });

  test('statement: in-toto v1, OMS predicate type, one subject named after the directory', () => {
    const st = readStatement(sigPath);
    assert.equal(st._type, 'https://in-toto.io/Statement/v1');
    assert.equal(st.predicateType, 'https://model_signing/signature/v1.0');
    assert.equal(st.predicateType, OMS_PREDICATE_TYPE);
    assert.equal(st.subject.length, 1);
    assert.equal(st.subject[0]!.name, 'bert-tiny');
    assert.equal(st.subject[0]!.name, basename(m.dir));
  });

  test('subject digest = sha256 over the concatenated raw resource digests, in resource order', () => {
    const st = readStatement(sigPath);
    const concat = Buffer.concat(st.predicate.resources.map((r) => Buffer.from(r.digest, 'hex')));
    assert.equal(concat.length, 32 * st.predicate.resources.length);
    const expected = createHash('sha256').update(concat).digest('hex');
    assert.deepEqual(Object.keys(st.subject[0]!.digest), ['sha256']);
    assert.equal(st.subject[0]!.digest['sha256'], expected);
    assert.equal(rootDigest, `sha256:${expected}`);
  });

  test('resources: one per file, sorted, sha256 of each file, git files and the signature left out', () => {
    const st = readStatement(sigPath);
    const names = st.predicate.resources.map((r) => r.name);
    assert.deepEqual(names, [
      'README.md',
      'config.json',
      'empty.bin',
      'tokenizer/vocab.txt',
      'weights/model-00001.safetensors',
      'weights/model-00002.safetensors',
    ]);
    assert.deepEqual([...names].sort(), names);
    for (const r of st.predicate.resources) {
      assert.equal(r.algorithm, 'sha256');
      assert.equal(r.digest, fileSha256(join(m.dir, ...r.name.split('/'))), r.name);
    }
  });

  test('an empty file has the digest of the empty string', () => {
    const st = readStatement(sigPath);
    const empty = st.predicate.resources.find((r) => r.name === 'empty.bin');
    assert.equal(empty?.digest, EMPTY_SHA256);
    assert.equal(sha256HexOf(''), EMPTY_SHA256);
  });

  test('serialization: files, sha256, no symlinks, ignore_paths holds .git and model.sig', () => {
    const s = readStatement(sigPath).predicate.serialization;
    assert.equal(s.method, 'files');
    assert.equal(s.hash_type, 'sha256');
    assert.equal(s.allow_symlinks, false);
    assert.equal(s.shard_size, undefined);
    const ignore = s.ignore_paths ?? [];
    for (const p of ['.git', '.gitattributes', '.github', '.gitignore', 'model.sig'])
      assert.ok(ignore.includes(p), `ignore_paths lacks ${p}: ${ignore.join(', ')}`);
    assert.deepEqual([...ignore].sort(), ignore);
  });

  test('signer metadata travels in subject[0].annotations (no signing time: signatures are reproducible)', () => {
    const ann = readStatement(sigPath).subject[0]!.annotations;
    assert.deepEqual(ann, {
      signerId: 'release@example.com',
      modelName: 'BERT tiny',
      modelVersion: '1.2.3',
      framework: 'pytorch',
      author: 'ML team',
      description: 'a test model',
    });
  });

  test('verify returns the metadata', async () => {
    const r = await verifyModel({ modelPath: m.dir, signaturePath: sigPath, publicKey: keys.publicKey, pool });
    assert.equal(r.ok, true, JSON.stringify(r.problems));
    assert.equal(r.metadata.signerId, 'release@example.com');
    assert.equal(r.metadata.modelName, 'BERT tiny');
    assert.equal(r.metadata.modelVersion, '1.2.3');
    assert.equal(r.metadata.signedAt, undefined);
    assert.equal(r.model.name, 'bert-tiny');
  });

  test('inspectSignature shows the same claims without a key', () => {
    const i = inspectSignature(sigPath);
    assert.equal(i.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.equal(i.predicateType, OMS_PREDICATE_TYPE);
    assert.equal(i.method, 'key');
    assert.equal(i.keyHint, omsKeyHint(keys.publicKey));
    assert.equal(i.subjectName, 'bert-tiny');
    assert.equal(i.rootDigest, rootDigest);
    assert.equal(i.consistent, true);
    assert.equal(i.resources.length, 6);
    assert.equal(i.metadata.framework, 'pytorch');
  });

  test('modelDigest computes the same root digest without signing', async () => {
    const d = await modelDigest(m.dir, { pool });
    assert.equal(d.rootDigest, rootDigest);
    assert.equal(d.modelName, 'bert-tiny');
    assert.equal(d.resources, 6);
  });

  test('the key hint is computed from the PEM text exactly as written by publicKeyToPem', () => {
    assert.equal(omsKeyHint(keys.publicKey), sha256HexOf(publicKeyToPem(keys.publicKey)));
  });
});

describe('digests agree with coreutils sha256sum', () => {
  test(
    'every resource digest equals `sha256sum` of the file',
    { skip: existsSync('/usr/bin/sha256sum') ? false : 'no /usr/bin/sha256sum' },
    async (t) => {
      const files: Record<string, Buffer | string> = { ...SAMPLE_FILES, empty: '' };
      for (let i = 0; i < 20; i++) files[`data/chunk-${i}.bin`] = Buffer.alloc(1000 * i + 1, i);
      files['data/big.bin'] = Buffer.alloc(5 * 1024 * 1024 + 3, 0xab);
      const m = makeModel(files);
      t.after(m.cleanup);
      const keys = makeKeyPair();
      const signed = await signModel({ modelPath: m.dir, privateKey: keys.privateKey, signerId: 'x', pool });
      const resources = signed.statement.predicate.resources;
      const run = promisify(execFile);
      const { stdout } = await run('/usr/bin/sha256sum', ['--', ...resources.map((r) => r.name)], { cwd: m.dir, maxBuffer: 1 << 20 });
      const fromTool = new Map<string, string>();
      for (const line of stdout.trim().split('\n')) {
        const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
        assert.ok(match, `unexpected sha256sum line: ${line}`);
        fromTool.set(match[2]!, match[1]!);
      }
      assert.equal(fromTool.size, resources.length);
      assert.equal(resources.length, Object.keys(files).length);
      for (const r of resources) assert.equal(r.digest, fromTool.get(r.name), r.name);
    },
  );
});

describe('single-file models', () => {
  test('a file as modelPath: one resource named by its basename, signature beside it', async (t) => {
    const base = makeTempDir();
    t.after(() => removeDir(base));
    const file = join(base, 'model.safetensors');
    writeFileSync(file, Buffer.alloc(3000, 1));
    const keys = makeKeyPair();
    const signed = await signModel({ modelPath: file, privateKey: keys.privateKey, signerId: 'x', pool });
    assert.equal(signed.signaturePath, `${file}.sig`);
    const st = readStatement(signed.signaturePath);
    assert.equal(st.subject[0]!.name, 'model.safetensors');
    assert.equal(st.predicate.resources.length, 1);
    assert.equal(st.predicate.resources[0]!.name, 'model.safetensors');
    assert.equal(st.predicate.resources[0]!.digest, fileSha256(file));
    assert.equal(st.predicate.serialization.ignore_paths, undefined);
    const ok = await verifyModel({ modelPath: file, signaturePath: signed.signaturePath, publicKey: keys.publicKey, pool });
    assert.equal(ok.ok, true, JSON.stringify(ok.problems));

    writeFileSync(file, Buffer.alloc(3000, 2));
    const bad = await verifyModel({ modelPath: file, signaturePath: signed.signaturePath, publicKey: keys.publicKey, pool });
    assert.equal(bad.ok, false);
    assert.deepEqual(
      bad.problems.map((p) => [p.name, p.kind]),
      [['model.safetensors', 'modified']],
    );
  });
});

describe('models that cannot be signed', () => {
  test('an empty directory → E_EMPTY_MODEL', async (t) => {
    const base = makeTempDir();
    t.after(() => removeDir(base));
    const dir = join(base, 'empty-model');
    mkdirSync(dir);
    await expectRejects(signModel({ modelPath: dir, privateKey: makeKeyPair().privateKey, signerId: 'x', pool }), 'E_EMPTY_MODEL');
    assert.equal(existsSync(join(dir, 'model.sig')), false, 'no signature is written');
  });

  test('a directory holding only ignored files → E_EMPTY_MODEL', async (t) => {
    const m = makeModel({ '.git/config': '[core]\n', 'notes.txt': 'x' });
    t.after(m.cleanup);
    await expectRejects(
      signModel({ modelPath: m.dir, privateKey: makeKeyPair().privateKey, signerId: 'x', ignorePaths: ['notes.txt'], pool }),
      'E_EMPTY_MODEL',
    );
  });

  test('a missing model path → E_NOT_FOUND', async (t) => {
    const base = makeTempDir();
    t.after(() => removeDir(base));
    await expectRejects(
      signModel({ modelPath: join(base, 'nope'), output: join(base, 'x.sig'), privateKey: makeKeyPair().privateKey, signerId: 'x', pool }),
      'E_NOT_FOUND',
    );
  });

  test('an empty signer id → E_USAGE', async (t) => {
    const m = makeModel({ a: 'a' });
    t.after(m.cleanup);
    await expectRejects(signModel({ modelPath: m.dir, privateKey: makeKeyPair().privateKey, signerId: '  ', pool }), 'E_USAGE');
  });

  test('verify without a key or registry → E_USAGE', async (t) => {
    const m = makeModel({ a: 'a' });
    t.after(m.cleanup);
    const signed = await signModel({ modelPath: m.dir, privateKey: makeKeyPair().privateKey, signerId: 'x', pool });
    await expectRejects(verifyModel({ modelPath: m.dir, signaturePath: signed.signaturePath, pool }), 'E_USAGE');
  });

  test('verify of a file that is not a signature → E_SIGNATURE_FORMAT', async (t) => {
    const m = makeModel({ a: 'a', 'bogus.sig': '{"hello": 1}' });
    t.after(m.cleanup);
    await expectRejects(
      verifyModel({ modelPath: m.dir, signaturePath: join(m.dir, 'bogus.sig'), publicKey: makeKeyPair().publicKey, pool }),
      'E_SIGNATURE_FORMAT',
    );
  });

  test('the signature file content is the JSON bundle (re-reading it round-trips)', async (t) => {
    const m = makeModel({ a: 'a' });
    t.after(m.cleanup);
    const signed = await signModel({ modelPath: m.dir, privateKey: makeKeyPair().privateKey, signerId: 'x', pool });
    assert.deepEqual(JSON.parse(readFileSync(signed.signaturePath, 'utf8')), JSON.parse(JSON.stringify(signed.bundle)));
  });
});
