import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ensureDir, fsyncDir, writeFileAtomic } from '../../src/core/atomic-file.js';
import { expectAttestryError } from './helpers.js';

let root: string;
let dir: string;
let previousUmask: number;
let counter = 0;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'attestry-atomic-'));
  // Fix the umask so permission assertions do not depend on the environment
  // (each test file runs in its own process under node --test).
  previousUmask = process.umask(0o022);
});

after(() => {
  process.umask(previousUmask);
  rmSync(root, { recursive: true, force: true });
});

beforeEach(() => {
  dir = join(root, `case-${counter++}`);
  mkdirSync(dir);
});

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

describe('writeFileAtomic', () => {
  test('writes a string as UTF-8', () => {
    const target = join(dir, 'a.json');
    writeFileAtomic(target, '{"ü":"€"}\n');
    assert.equal(readFileSync(target, 'utf8'), '{"ü":"€"}\n');
    assert.deepEqual(readFileSync(target), Buffer.from('{"ü":"€"}\n', 'utf8'));
  });

  test('writes bytes exactly, including a multi-megabyte buffer', () => {
    const target = join(dir, 'blob.bin');
    const data = randomBytes(5 * 1024 * 1024 + 7);
    writeFileAtomic(target, data);
    assert.ok(readFileSync(target).equals(data));
    const small = new Uint8Array([0, 255, 1, 254]);
    writeFileAtomic(target, small);
    assert.deepEqual([...readFileSync(target)], [0, 255, 1, 254]);
  });

  test('writes an empty file', () => {
    const target = join(dir, 'empty');
    writeFileAtomic(target, '');
    assert.equal(statSync(target).size, 0);
  });

  test('default mode is 0644', () => {
    const target = join(dir, 'default-mode');
    writeFileAtomic(target, 'x');
    assert.equal(mode(target), 0o644);
  });

  test('honours an explicit mode such as 0600', () => {
    const target = join(dir, 'secret.pem');
    writeFileAtomic(target, 'key', 0o600);
    assert.equal(mode(target), 0o600);
  });

  test('leaves no temporary files behind', () => {
    const target = join(dir, 'out.txt');
    for (let i = 0; i < 5; i++) writeFileAtomic(target, `v${i}`);
    assert.deepEqual(readdirSync(dir), ['out.txt']);
  });

  test('overwrites existing content (longer with shorter) and takes the new mode', () => {
    const target = join(dir, 'over.txt');
    writeFileSync(target, 'a much longer original content', { mode: 0o644 });
    writeFileAtomic(target, 'short', 0o600);
    assert.equal(readFileSync(target, 'utf8'), 'short');
    assert.equal(mode(target), 0o600);
    assert.deepEqual(readdirSync(dir), ['over.txt']);
  });

  test('replaces the file rather than writing in place (new inode)', () => {
    const target = join(dir, 'inode.txt');
    writeFileSync(target, 'old');
    const oldIno = statSync(target).ino;
    writeFileAtomic(target, 'new');
    assert.notEqual(statSync(target).ino, oldIno);
    assert.equal(readFileSync(target, 'utf8'), 'new');
  });

  test('a missing parent directory gives E_NOT_FOUND naming the path', () => {
    const target = join(dir, 'no', 'such', 'file.txt');
    const err = expectAttestryError(() => writeFileAtomic(target, 'x'), 'E_NOT_FOUND', /cannot write/);
    assert.ok(err.message.includes(target));
    assert.deepEqual(err.details, { path: target });
    assert.deepEqual(readdirSync(dir), []);
  });

  test('a failed rename (target is a directory) gives E_IO, cleans up the temp file and keeps the target', () => {
    const target = join(dir, 'taken');
    mkdirSync(target);
    writeFileSync(join(target, 'inside'), 'keep');
    const err = expectAttestryError(() => writeFileAtomic(target, 'x'), 'E_IO', /cannot write/);
    assert.ok(err.message.includes(target));
    assert.deepEqual(readdirSync(dir), ['taken']);
    assert.equal(readFileSync(join(target, 'inside'), 'utf8'), 'keep');
  });
});

describe('ensureDir / fsyncDir', () => {
  test('ensureDir creates nested directories and is idempotent', () => {
    const nested = join(dir, 'a', 'b', 'c');
    ensureDir(nested);
    ensureDir(nested);
    assert.ok(statSync(nested).isDirectory());
  });

  test('ensureDir honours the mode for new directories', () => {
    const d = join(dir, 'private');
    ensureDir(d, 0o700);
    assert.equal(mode(d), 0o700);
  });

  test('ensureDir fails with E_IO when a file is in the way', () => {
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    expectAttestryError(() => ensureDir(join(file, 'sub')), 'E_IO', /cannot create directory/);
  });

  test('fsyncDir succeeds on a directory and throws on a missing one', () => {
    assert.doesNotThrow(() => fsyncDir(dir));
    assert.throws(() => fsyncDir(join(dir, 'missing')), /ENOENT/);
  });
});
