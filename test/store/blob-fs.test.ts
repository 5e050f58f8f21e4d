import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ulid } from 'ulid';
import { sha256Digest } from '../../src/core/digest.js';
import { casLayout } from '../../src/kinds/cas-layout.js';
import type { CasKey } from '../../src/store/blob/cas-key.js';
import { FsBlobStore } from '../../src/store/blob/fs-blob-store.js';
import { blobStoreContract, chunksOf, expectCode } from './blob-contract.js';

const BUCKET = 'signals';
const PREFIX = 'some/prefix';

const blobPath = (root: string, key: CasKey): string => join(root, BUCKET, ...PREFIX.split('/'), ...key.split('/'));

async function openFs(): Promise<{ root: string; store: FsBlobStore }> {
  const root = await mkdtemp(join(tmpdir(), 'attestry-blob-fs-'));
  return { root, store: new FsBlobStore(root, BUCKET, PREFIX) };
}

/** Every file name under `dir`, recursively (relative paths). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

blobStoreContract('FsBlobStore contract', async () => {
  const { root, store } = await openFs();
  return {
    store,
    async corrupt(key, bytes) {
      await writeFile(blobPath(root, key), bytes);
    },
    async cleanup() {
      await store.close();
      await rm(root, { recursive: true, force: true });
    },
  };
});

describe('FsBlobStore specifics', () => {
  let root: string;
  let store: FsBlobStore;
  beforeEach(async () => {
    ({ root, store } = await openFs());
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('keeps blobs at <root>/<bucket>/<prefix>/<key>', async () => {
    const key = casLayout.callgraph('acme', ulid());
    await store.put(key, Buffer.from('where am I'));
    assert.deepEqual(await filesUnder(dirname(blobPath(root, key))), [key.split('/').at(-1)]);
  });

  it('leaves no .tmp- files after a failed put or putStream', async () => {
    const key = casLayout.callgraph('acme', ulid());
    await store.put(casLayout.callgraph('acme', ulid()), Buffer.from('an existing blob'));
    await expectCode(store.put(key, Buffer.from('actual'), sha256Digest('declared')), 'E_DIGEST_MISMATCH');
    await expectCode(store.putStream(key, chunksOf('0123456789', '0123456789'), undefined, 15), 'E_PAYLOAD_TOO_LARGE');
    const failing = (async function* () {
      yield Buffer.from('partial');
      throw new Error('client went away');
    })();
    await expectCode(store.putStream(key, failing), 'E_IO');
    const names = await filesUnder(join(root, BUCKET));
    assert.equal(names.length, 1, `expected only the existing blob, found ${names.join(', ')}`);
    assert.ok(!names.some((n) => n.startsWith('.tmp-')));
  });

  it('a reader never sees a partially written blob', async () => {
    const key = casLayout.runtimeFacts('acme', ulid());
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let firstWritten!: () => void;
    const halfway = new Promise<void>((r) => (firstWritten = r));
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('first half|');
      // Resumed only after the first chunk reached the temp file.
      firstWritten();
      await gate;
      yield Buffer.from('second half');
    }
    const whole = Buffer.from('first half|second half');
    const pending = store.putStream(key, slow(), sha256Digest(whole));
    await halfway;

    // The write is in progress: a temp file exists, but the blob is invisible.
    const dirNames = await readdir(dirname(blobPath(root, key)));
    assert.equal(dirNames.filter((n) => n.startsWith('.tmp-')).length, 1);
    assert.equal(await store.head(key), undefined);
    await expectCode(store.get(key, sha256Digest(whole)), 'E_NOT_FOUND');
    await expectCode(store.get(key, sha256Digest('first half|')), 'E_NOT_FOUND');
    const listed: string[] = [];
    for await (const k of store.list('runtime-facts')) listed.push(k);
    assert.deepEqual(listed, []);

    release();
    const info = await pending;
    assert.deepEqual(await store.get(key, info.digest), whole);
  });

  it('list ignores .tmp- files', async () => {
    const key = casLayout.callgraph('acme', ulid());
    await store.put(key, Buffer.from('real'));
    const dir = dirname(blobPath(root, key));
    await writeFile(join(dir, '.tmp-0123456789abcdef'), 'leftover from a crash');
    await mkdir(join(root, BUCKET, ...PREFIX.split('/'), 'manifests'), { recursive: true });
    await writeFile(join(root, BUCKET, ...PREFIX.split('/'), 'manifests', '.tmp-feedface'), 'x');
    const listed: string[] = [];
    for await (const k of store.list('')) listed.push(k);
    assert.deepEqual(listed, [key]);
  });
});
