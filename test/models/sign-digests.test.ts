/** signDigestList / parseDigestList: signing a path → digest list without the files. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDigestList, signDigestList, signModel, verifyModel } from '../../src/models/index.js';
import {
  expectAttestryError,
  fileSha256,
  makeKeyPair,
  makeModel,
  makeTempDir,
  readStatement,
  removeDir,
  SAMPLE_FILES,
  sha256HexOf,
} from '../helpers/model.js';

const keys = makeKeyPair();
const A = sha256HexOf('a');
const B = sha256HexOf('b');

describe('parseDigestList', () => {
  test('sha256sum text (text and binary mode markers, comments, blank lines, CRLF)', () => {
    const text = `# produced by sha256sum\n${A}  weights/a.bin\r\n\n${B.toUpperCase()} *b.bin\n`;
    const m = parseDigestList(text, 'list.txt');
    assert.deepEqual(
      [...m],
      [
        ['weights/a.bin', A],
        ['b.bin', B],
      ],
    );
  });

  test('JSON object, with and without the sha256: prefix', () => {
    const m = parseDigestList(JSON.stringify({ 'a.bin': A, './dir/b.bin': `sha256:${B}` }), 'list.json');
    assert.deepEqual(
      [...m],
      [
        ['a.bin', A],
        ['dir/b.bin', B],
      ],
    );
  });

  test('a bad line → E_INVALID_INPUT naming the line number', () => {
    const text = `${A}  a.bin\n${B}  b.bin\nnot a digest line\n`;
    expectAttestryError(() => parseDigestList(text, 'list.txt'), 'E_INVALID_INPUT', /list\.txt/, /line 3\b/);
    expectAttestryError(() => parseDigestList(`${A}  a.bin\n\n${'ab'.repeat(31)}  short.bin\n`, 'l'), 'E_INVALID_INPUT', /line 3\b/);
  });

  test('duplicates, path escapes, bad JSON digests, empty lists', () => {
    expectAttestryError(() => parseDigestList(`${A}  a.bin\n${B}  ./a.bin\n`, 'l'), 'E_INVALID_INPUT', /line 2\b/, /twice/);
    expectAttestryError(() => parseDigestList(`${A}  ../a.bin\n`, 'l'), 'E_PATH_ESCAPE');
    expectAttestryError(() => parseDigestList(`${A}  /etc/passwd\n`, 'l'), 'E_PATH_ESCAPE');
    expectAttestryError(() => parseDigestList(JSON.stringify({ 'a.bin': 'md5:abc' }), 'l'), 'E_INVALID_INPUT', /a\.bin/);
    expectAttestryError(() => parseDigestList(JSON.stringify({ 'a.bin': 5 }), 'l'), 'E_INVALID_INPUT');
    expectAttestryError(() => parseDigestList('[1,2]', 'l'), 'E_INVALID_INPUT');
    expectAttestryError(() => parseDigestList('# nothing\n\n', 'l'), 'E_EMPTY_MODEL');
  });
});

describe('signDigestList', () => {
  test('from sha256sum output of a real model: same root digest as signing the files, and it verifies the files', async (t) => {
    const m = makeModel(SAMPLE_FILES);
    t.after(m.cleanup);
    const lines = Object.keys(SAMPLE_FILES).map((name) => `${fileSha256(join(m.dir, ...name.split('/')))}  ${name}`);
    const listPath = join(m.base, 'my-model.sha256');
    writeFileSync(listPath, `${lines.join('\n')}\n`);
    const out = join(m.base, 'from-list.sig');
    const r = signDigestList({
      digestsPath: listPath,
      privateKey: keys.privateKey,
      signerId: 'ci',
      output: out,
      metadata: { modelName: 'm' },
    });
    assert.equal(r.resources, lines.length);
    assert.equal(r.signaturePath, out);
    assert.equal(r.algorithm, 'ed25519');
    const st = readStatement(out);
    assert.equal(st.subject[0]!.name, 'my-model');
    assert.equal(st.subject[0]!.annotations?.['signerId'], 'ci');
    assert.equal(st.subject[0]!.annotations?.['modelName'], 'm');
    const names = st.predicate.resources.map((x) => x.name);
    assert.deepEqual([...names].sort(), names);

    const signed = await signModel({
      modelPath: m.dir,
      privateKey: keys.privateKey,
      signerId: 'ci',
      output: join(m.base, 'files.sig'),
      threads: 1,
    });
    assert.equal(r.rootDigest, signed.rootDigest);

    const v = await verifyModel({ modelPath: m.dir, signaturePath: out, publicKey: keys.publicKey, threads: 1 });
    assert.equal(v.ok, true, JSON.stringify(v.problems));
  });

  test('from JSON, with a subject name', (t) => {
    const dir = makeTempDir();
    t.after(() => removeDir(dir));
    const listPath = join(dir, 'digests.json');
    writeFileSync(listPath, JSON.stringify({ 'z.bin': A, 'a.bin': `sha256:${B}` }));
    const r = signDigestList({
      digestsPath: listPath,
      privateKey: keys.privateKey,
      signerId: 'ci',
      output: join(dir, 'x.sig'),
      subjectName: 'llama',
    });
    const st = readStatement(r.signaturePath);
    assert.equal(st.subject[0]!.name, 'llama');
    assert.deepEqual(
      st.predicate.resources.map((x) => [x.name, x.digest]),
      [
        ['a.bin', B],
        ['z.bin', A],
      ],
    );
    const concat = Buffer.concat([Buffer.from(B, 'hex'), Buffer.from(A, 'hex')]);
    assert.equal(r.rootDigest, `sha256:${sha256HexOf(concat)}`);
  });

  test('a bad list writes no signature', (t) => {
    const dir = makeTempDir();
    t.after(() => removeDir(dir));
    const listPath = join(dir, 'bad.txt');
    writeFileSync(listPath, `${A}  a.bin\noops\n`);
    expectAttestryError(
      () => signDigestList({ digestsPath: listPath, privateKey: keys.privateKey, signerId: 'ci', output: join(dir, 'x.sig') }),
      'E_INVALID_INPUT',
      /line 2\b/,
    );
    expectAttestryError(
      () =>
        signDigestList({ digestsPath: join(dir, 'missing.txt'), privateKey: keys.privateKey, signerId: 'ci', output: join(dir, 'x.sig') }),
      'E_NOT_FOUND',
    );
  });
});
