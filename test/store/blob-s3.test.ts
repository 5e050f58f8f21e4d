import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ulid } from 'ulid';
import { sha256Hex } from '../../src/core/digest.js';
import { casLayout } from '../../src/kinds/cas-layout.js';
import type { CasKey } from '../../src/store/blob/cas-key.js';
import { ensureBucket, S3BlobStore, type S3BlobStoreOptions } from '../../src/store/blob/s3-blob-store.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { blobStoreContract, expectCode } from './blob-contract.js';

const BUCKET = 'signals';

describe('S3BlobStore against s3rver', () => {
  let server: TestS3Server;
  let raw: S3Client;

  const options = (prefix: string): S3BlobStoreOptions => ({
    bucket: BUCKET,
    prefix,
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
  });
  // A fresh prefix per store keeps tests isolated inside the one bucket.
  const freshPrefix = (): string => `t/${ulid().toLowerCase()}`;

  before(async () => {
    server = await startS3Server();
    await ensureBucket(options(''));
    await ensureBucket(options('')); // idempotent
    // A separate client that bypasses S3BlobStore, to tamper with and inspect objects.
    raw = new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });
  after(async () => {
    raw.destroy();
    await server.stop();
  });

  blobStoreContract('S3BlobStore contract', async () => {
    const prefix = freshPrefix();
    const store = new S3BlobStore(options(prefix));
    return {
      store,
      async corrupt(key: CasKey, bytes: Uint8Array) {
        await raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${key}`, Body: bytes, ContentLength: bytes.length }));
      },
      async cleanup() {
        await store.close();
      },
    };
  });

  it('stores objects at <prefix>/<key> with x-amz-meta-sha256', async () => {
    const prefix = freshPrefix();
    const store = new S3BlobStore(options(prefix));
    try {
      const key = casLayout.callgraph('acme', ulid());
      const data = Buffer.from('where am I');
      await store.put(key, data);
      const head = await raw.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${key}` }));
      assert.equal(head.ContentLength, data.length);
      assert.equal(head.Metadata?.['sha256'], sha256Hex(data));
      const got = await raw.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${key}` }));
      assert.deepEqual(Buffer.from((await got.Body?.transformToByteArray()) ?? []), data);
      assert.match(store.location, new RegExp(`^s3://${BUCKET}/${prefix} at http://127\\.0\\.0\\.1:\\d+$`));
    } finally {
      await store.close();
    }
  });

  it('works without a prefix (object key = CAS key)', async () => {
    const store = new S3BlobStore(options(''));
    try {
      const key = casLayout.attestation(ulid());
      const info = await store.put(key, Buffer.from('no prefix'));
      const head = await raw.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      assert.equal(head.ContentLength, info.size);
      assert.deepEqual(await store.get(key, info.digest), Buffer.from('no prefix'));
      const listed: string[] = [];
      for await (const k of store.list('attestations')) listed.push(k);
      assert.ok(listed.includes(key));
    } finally {
      await store.close();
    }
  });

  it('list follows ListObjectsV2 continuation across pages', async () => {
    const store = new S3BlobStore({ ...options(freshPrefix()), listPageSize: 2 });
    try {
      const keys = Array.from({ length: 7 }, () => casLayout.runtimeFacts('acme', ulid()));
      for (const k of keys) await store.put(k, Buffer.from(k));
      const listed: string[] = [];
      for await (const k of store.list('runtime-facts/acme')) listed.push(k);
      assert.deepEqual(listed.sort(), [...keys].sort());
    } finally {
      await store.close();
    }
  });

  it('ping against a stopped server fails with E_UNAVAILABLE naming endpoint and bucket, not credentials', async () => {
    const stopped = await startS3Server();
    // Credentials s3rver would not even accept: they must not appear in any message.
    const opts: S3BlobStoreOptions = {
      bucket: BUCKET,
      prefix: 'p',
      endpoint: stopped.endpoint,
      region: stopped.region,
      forcePathStyle: true,
      accessKeyId: 'AKIDSECRETID',
      secretAccessKey: 'do-not-leak-this-secret',
    };
    await stopped.stop(); // leaves an endpoint nobody listens on
    const store = new S3BlobStore(opts);
    try {
      const err = await expectCode(store.ping(), 'E_UNAVAILABLE');
      assert.ok(err.message.includes(stopped.endpoint), err.message);
      assert.ok(err.message.includes(BUCKET), err.message);
      assert.ok(!err.message.includes('do-not-leak-this-secret') && !err.message.includes('AKIDSECRETID'), err.message);
      assert.ok(!JSON.stringify(err.toJSON()).includes('do-not-leak-this-secret'));
      // Data operations against the dead endpoint are E_IO naming the key.
      const key = casLayout.callgraph('acme', ulid());
      const ioErr = await expectCode(store.put(key, Buffer.from('x')), 'E_IO');
      assert.ok(ioErr.message.includes(key), ioErr.message);
    } finally {
      await store.close();
      await stopped.stop();
    }
  });
});
