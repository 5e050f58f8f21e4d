/**
 * The service with Storage.Blob.Backend=s3 against a real S3-protocol server
 * (s3rver): evidence round-trips through the bucket, and /readyz follows the
 * blob store's availability.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ensureBucket } from '../../src/store/blob/s3-blob-store.js';
import { isRecord } from '../helpers/model.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { PREDICATE_FOR_KIND, signedStatement, startTestServer, type TestServer } from '../helpers/server.js';
import type { Signer } from '../../src/crypto/signer.js';

const BUCKET = 'signals';
/** The SDK's default credential chain reads these; restored after the file's tests. */
const AWS_ENV = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
const savedEnv = new Map<string, string | undefined>();

let s3: TestS3Server;
let srv: TestServer;
let signer: Signer;
let token: string;

before(async () => {
  s3 = await startS3Server();
  for (const name of AWS_ENV) savedEnv.set(name, process.env[name]);
  process.env['AWS_ACCESS_KEY_ID'] = s3.accessKeyId;
  process.env['AWS_SECRET_ACCESS_KEY'] = s3.secretAccessKey;
  await ensureBucket({
    bucket: BUCKET,
    prefix: '',
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
  });
  srv = await startTestServer({ env: { ATTESTRY__Storage__Blob__Backend: 's3', ATTESTRY__Storage__Blob__S3__Endpoint: s3.endpoint } });
  await srv.addTenant('t1');
  signer = await srv.trustNewKey('t1', 'k1');
  token = await srv.token('signals-service', ['t1']);
});

after(async () => {
  await srv?.stop();
  await s3?.stop();
  for (const [name, value] of savedEnv) {
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- unsetting an env var is a delete
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('service on the S3 blob backend', () => {
  test('the service is configured for s3', () => {
    assert.equal(srv.services.config.Storage.Blob.Backend, 's3');
    assert.equal(srv.services.blobs.backend, 's3');
  });

  test('POST stores the envelope in the bucket; GET returns it byte for byte', async () => {
    const subject = randomBytes(32).toString('hex');
    const raw = JSON.stringify(signedStatement(signer, subject, PREDICATE_FOR_KIND.attestations));
    const put = await srv.request('POST', '/api/v1/attestations', { token, rawBody: raw });
    assert.equal(put.status, 201, put.text);
    assert.ok(isRecord(put.json));
    const id = String(put.json['id']);

    // The object is really in the bucket, under the CAS layout key.
    const row = await srv.services.repos.evidence.get(id);
    assert.ok(row);
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    try {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'attestations/' }));
      assert.ok(
        (listed.Contents ?? []).some((o) => o.Key === row.blobKey),
        `bucket holds ${row.blobKey}`,
      );
    } finally {
      client.destroy();
    }

    const got = await srv.request('GET', `/api/v1/attestations/${id}`, { token });
    assert.equal(got.status, 200, got.text);
    assert.ok(isRecord(got.json));
    assert.equal(got.json['id'], id);
    const rawGot = await srv.request('GET', `/api/v1/attestations/${id}/raw`, { token });
    assert.equal(rawGot.status, 200);
    assert.equal(rawGot.text, raw);

    const found = await srv.request('GET', `/api/v1/attestations?subject=sha256:${subject}`, { token });
    assert.ok(isRecord(found.json) && Array.isArray(found.json['items']) && found.json['items'].length === 1, found.text);
  });

  test('/readyz is 200 while S3 answers and 503 once it is gone', async () => {
    const up = await srv.request('GET', '/readyz');
    assert.equal(up.status, 200, up.text);
    assert.deepEqual(up.json, { status: 'ready', checks: { database: 'ok', blobStore: 'ok', dataDir: 'ok' } });

    await s3.stop();
    const down = await srv.request('GET', '/readyz');
    assert.equal(down.status, 503, down.text);
    assert.ok(isRecord(down.json));
    assert.equal(down.json['status'], 'not ready');
    const checks = down.json['checks'];
    assert.ok(isRecord(checks));
    assert.equal(checks['database'], 'ok');
    assert.notEqual(checks['blobStore'], 'ok');
    // The reply says which dependency failed, not why (details go to the log).
    assert.equal(checks['blobStore'], 'unreachable');
    // Credentials never appear in the reply.
    assert.doesNotMatch(down.text, /S3RVER/);
  });
});
