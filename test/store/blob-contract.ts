/**
 * The one behavioural contract every BlobStore backend must pass (not a test
 * file itself: backends call `blobStoreContract` from their *.test.ts).
 * Each test gets a fresh, empty store from `open` and releases it afterwards.
 */
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ulid } from 'ulid';
import { sha256Digest } from '../../src/core/digest.js';
import { AttestryError, type ErrorCode } from '../../src/core/errors.js';
import type { BlobStore } from '../../src/store/blob/blob-store.js';
import { casLayout } from '../../src/kinds/cas-layout.js';
import type { CasKey } from '../../src/store/blob/cas-key.js';

export interface OpenedStore {
  store: BlobStore;
  /** Replaces the stored bytes of `key` behind the store's back (bit rot, tampering). */
  corrupt(key: CasKey, bytes: Uint8Array): Promise<void>;
  cleanup(): Promise<void>;
}

/** Awaits `p` and asserts it rejects with an AttestryError of `code`. */
export async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<AttestryError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, `expected AttestryError ${code}, but it resolved`);
  assert.ok(caught instanceof AttestryError, `expected AttestryError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `expected ${code}, got ${caught.code}: ${caught.message}`);
  return caught;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

export async function* chunksOf(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    yield typeof part === 'string' ? Buffer.from(part) : part;
  }
}

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');
const newKey = (tenant = 'acme'): CasKey => casLayout.callgraph(tenant, ulid());

async function collect(it: AsyncIterable<CasKey>): Promise<string[]> {
  const out: string[] = [];
  for await (const k of it) out.push(k);
  return out.sort();
}

export function blobStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(name, () => {
    let opened: OpenedStore;
    let store: BlobStore;
    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.cleanup();
    });

    it('round-trips bytes without an expected digest and returns their sha256 and size', async () => {
      const key = newKey();
      const data = bytes('hello evidence');
      const info = await store.put(key, data);
      assert.deepEqual(info, { key, digest: sha256Digest(data), size: data.length });
      assert.deepEqual(await store.get(key, info.digest), data);
    });

    it('round-trips bytes with the correct expected digest', async () => {
      const key = casLayout.attestation(ulid());
      const data = bytes('{"payloadType":"x"}');
      const info = await store.put(key, data, sha256Digest(data));
      assert.equal(info.digest, sha256Digest(data));
      assert.deepEqual(await store.get(key, sha256Digest(data)), data);
    });

    it('rejects a put whose bytes do not match the expected digest and stores nothing', async () => {
      const key = newKey();
      const err = await expectCode(store.put(key, bytes('actual'), sha256Digest('declared')), 'E_DIGEST_MISMATCH');
      assert.match(err.message, new RegExp(sha256Digest('declared')));
      assert.equal(await store.head(key), undefined);
      await expectCode(store.get(key, sha256Digest('actual')), 'E_NOT_FOUND');
    });

    it('reports E_NOT_FOUND for a key that was never written', async () => {
      await expectCode(store.get(newKey(), sha256Digest('x')), 'E_NOT_FOUND');
      await expectCode(store.get(casLayout.manifest(ulid()), sha256Digest('x'), 10), 'E_NOT_FOUND');
      await expectCode(store.getStream(newKey(), sha256Digest('x')), 'E_NOT_FOUND');
    });

    it('putStream stores the concatenation of several chunks', async () => {
      const key = casLayout.runtimeFacts('acme', ulid());
      const whole = bytes('chunk-one|chunk-two|chunk-three');
      const info = await store.putStream(key, chunksOf('chunk-one|', 'chunk-two|', 'chunk-three'), sha256Digest(whole));
      assert.deepEqual(info, { key, digest: sha256Digest(whole), size: whole.length });
      assert.deepEqual(await store.get(key, info.digest), whole);
    });

    it('putStream with a wrong expected digest stores nothing', async () => {
      const key = newKey();
      await expectCode(store.putStream(key, chunksOf('a', 'b'), sha256Digest('c')), 'E_DIGEST_MISMATCH');
      assert.equal(await store.head(key), undefined);
    });

    it('putStream over maxBytes fails with E_PAYLOAD_TOO_LARGE and stores nothing', async () => {
      const key = newKey();
      const ten = 'x'.repeat(10);
      await expectCode(store.putStream(key, chunksOf(ten, ten, ten), undefined, 25), 'E_PAYLOAD_TOO_LARGE');
      assert.equal(await store.head(key), undefined);
      // Exactly at the limit is allowed.
      const info = await store.putStream(key, chunksOf(ten, ten), undefined, 20);
      assert.equal(info.size, 20);
    });

    it('get over maxBytes fails with E_PAYLOAD_TOO_LARGE; at the limit it succeeds', async () => {
      const key = newKey();
      const data = Buffer.alloc(100, 7);
      const info = await store.put(key, data);
      await expectCode(store.get(key, info.digest, 99), 'E_PAYLOAD_TOO_LARGE');
      assert.deepEqual(await store.get(key, info.digest, 100), data);
    });

    it('overwrites an existing key', async () => {
      const key = newKey();
      const first = await store.put(key, bytes('first version'));
      const second = await store.put(key, bytes('second, longer version'));
      assert.deepEqual(await store.get(key, second.digest), bytes('second, longer version'));
      assert.deepEqual(await store.head(key), { size: second.size });
      await expectCode(store.get(key, first.digest), 'E_INTEGRITY');
    });

    it('getStream round-trips', async () => {
      const key = casLayout.modelSignature('acme', ulid());
      const data = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
      const info = await store.put(key, data);
      assert.deepEqual(await readAll(await store.getStream(key, info.digest)), data);
    });

    it('getStream of a corrupted blob errors with E_INTEGRITY', async () => {
      const key = newKey();
      const info = await store.put(key, bytes('original content'));
      await opened.corrupt(key, bytes('tampered content'));
      await expectCode(readAll(await store.getStream(key, info.digest)), 'E_INTEGRITY');
    });

    it('get of a corrupted blob fails with E_INTEGRITY instead of serving it', async () => {
      const key = newKey();
      const info = await store.put(key, bytes('original content'));
      await opened.corrupt(key, bytes('original c0ntent'));
      const err = await expectCode(store.get(key, info.digest), 'E_INTEGRITY');
      assert.equal(err.details?.['expected'], info.digest);
      assert.equal(err.details?.['actual'], sha256Digest('original c0ntent'));
    });

    it('head returns the size of a stored blob and undefined for an absent one', async () => {
      const key = newKey();
      await store.put(key, bytes('12345'));
      assert.deepEqual(await store.head(key), { size: 5 });
      assert.equal(await store.head(newKey()), undefined);
    });

    it('delete removes a blob and is idempotent', async () => {
      const key = newKey();
      const info = await store.put(key, bytes('short-lived'));
      await store.delete(key);
      assert.equal(await store.head(key), undefined);
      await expectCode(store.get(key, info.digest), 'E_NOT_FOUND');
      await store.delete(key);
      await store.delete(newKey('never-written'));
      assert.equal(await store.head(key), undefined);
    });

    it('list(prefix) returns exactly the keys written under that prefix', async () => {
      const acme = [newKey('acme'), newKey('acme'), casLayout.callgraphMeta('acme', ulid())];
      const acme2 = [newKey('acme2')];
      const other = [casLayout.runtimeFacts('acme', ulid()), casLayout.manifest(ulid())];
      for (const k of [...acme, ...acme2, ...other]) await store.put(k, bytes(k));
      assert.deepEqual(await collect(store.list('callgraphs/acme')), [...acme].sort());
      assert.deepEqual(await collect(store.list('callgraphs/acme/')), [...acme].sort());
      assert.deepEqual(await collect(store.list('callgraphs')), [...acme, ...acme2].sort());
      assert.deepEqual(await collect(store.list('')), [...acme, ...acme2, ...other].sort());
      assert.deepEqual(await collect(store.list('attestations')), []);
    });

    it('ping succeeds on a reachable store', async () => {
      await assert.doesNotReject(store.ping());
      assert.ok(store.location.length > 0);
    });

    it('20 concurrent puts to the same directory are all readable afterwards', async () => {
      const items = Array.from({ length: 20 }, (_, i) => ({ key: newKey('concurrent'), data: bytes(`blob number ${i} `.repeat(i + 1)) }));
      const written = await Promise.all(items.map(async ({ key, data }) => ({ key, data, info: await store.put(key, data) })));
      for (const { key, data, info } of written) assert.deepEqual(await store.get(key, info.digest), data);
      assert.deepEqual(await collect(store.list('callgraphs/concurrent')), items.map((x) => x.key).sort());
    });

    it('round-trips an empty blob', async () => {
      const key = newKey();
      const empty = new Uint8Array(0);
      const info = await store.put(key, empty, sha256Digest(empty));
      assert.deepEqual(info, { key, digest: 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', size: 0 });
      assert.deepEqual(await store.head(key), { size: 0 });
      assert.equal((await store.get(key, info.digest)).length, 0);
      assert.equal((await readAll(await store.getStream(key, info.digest))).length, 0);
      const streamed = await store.putStream(newKey(), chunksOf(), info.digest);
      assert.equal(streamed.size, 0);
    });
  });
}
