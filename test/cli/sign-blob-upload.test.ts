/**
 * `attestry sign-blob --upload` against a real started server: the locker
 * verifies the ECDSA signature over the digest, stores it as a message
 * signature, logs it as a Rekor v2 hashedrekord 0.0.2 entry with an RFC 3161
 * timestamp, and the bundle it exports (written to OUT) verifies with
 * `verify-bundle --trusted-root` and with stock `@sigstore/verify`'s default
 * policy. Untrusted keys, Ed25519 keys and tampered digests are refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { signBlobBundle } from '../../src/crypto/blob-bundle.js';
import { loadPrivateKey, loadPublicKey } from '../../src/crypto/keys.js';
import type { KeyObject } from 'node:crypto';
import { createSigner } from '../../src/crypto/signer.js';
import { trustPublicKey } from '../../src/evidence/trust.js';
import { collectOrphanBlobs } from '../../src/evidence/gc.js';
import { parseHashedRekordEntryBody } from '../../src/tlog/hashedrekord.js';
import { expectExit, getArray, getRecord, jsonOut, runCli, writeKeyFiles, type KeyFiles } from '../helpers/cli.js';
import { isRecord } from '../helpers/model.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON trees read by path
type Json = Record<string, any>; // bundle and reply JSON trees, read by path

let dir: string;
let p256: KeyFiles;
let p384: KeyFiles;
let ed: KeyFiles;
let artifact: string;
let srv: TestServer;
let token: string;
let root: Json;
let rootPath: string;

const readJson = (path: string): Json => {
  const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
  assert.ok(isRecord(v));
  return v;
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'attestry-signblob-upload-'));
  p256 = writeKeyFiles(join(dir, 'p256'), 'ecdsa-p256');
  p384 = writeKeyFiles(join(dir, 'p384'), 'ecdsa-p384');
  ed = writeKeyFiles(join(dir, 'ed'), 'ed25519');
  artifact = join(dir, 'release.tar.gz');
  writeFileSync(artifact, Buffer.from('pretend tarball\n'.repeat(1000)));
  srv = await startTestServer();
  await srv.addTenant('builds');
  const s = srv.services;
  for (const [id, k] of [
    ['p256', p256],
    ['p384', p384],
    ['ed', ed],
  ] as const) {
    await trustPublicKey(s.repos.trustedKeys, 'builds', id, loadPublicKey(readFileSync(k.publicPem, 'utf8'), id), s.clock.now());
  }
  token = await srv.token('signals-service', ['builds']);
  const r = await srv.request('GET', '/api/v1/log/trusted-root');
  assert.equal(r.status, 200, r.text);
  root = r.json as Json;
  rootPath = join(dir, 'trusted_root.json');
  writeFileSync(rootPath, r.text);
});
after(async () => {
  await srv?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function sigstoreVerify(bundle: Json, keys: KeyFiles, data: Buffer): void {
  const publicKey = loadPublicKey(readFileSync(keys.publicPem, 'utf8'), 'public.pem');
  const trust = toTrustMaterial(TrustedRoot.fromJSON(root), () => ({ publicKey, validFor: () => true }));
  // The default policy: one log entry and one timestamp.
  new Verifier(trust).verify(toSignedEntity(bundleFromJSON(bundle), data));
}

const upload = (body: unknown) => srv.request('POST', '/api/v1/attestations', { token, body });

describe('sign-blob --upload against a started server', () => {
  for (const [name, keys] of [
    ['P-256', () => p256],
    ['P-384', () => p384],
  ] as const) {
    test(`${name}: stored, logged as hashedrekord 0.0.2 with a timestamp; OUT verifies with verify-bundle and @sigstore/verify`, async () => {
      const out = join(dir, `uploaded-${name}.sigstore.json`);
      const args = ['sign-blob', artifact, '--key', keys().privatePem, '--bundle', out, '--upload', '--server', srv.url, '--json'];
      const r = jsonOut(expectExit(await runCli(args, { env: { ATTESTRY_TOKEN: token } }), 0));
      const stored = getRecord(r, 'upload');
      assert.equal(stored['kind'], 'message-signatures');
      assert.equal(stored['created'], true);
      assert.equal(typeof stored['logIndex'], 'number');

      const bundle = readJson(out);
      assert.equal(typeof bundle['messageSignature'], 'object');
      const entries = getArray(getRecord(bundle, 'verificationMaterial'), 'tlogEntries') as Json[];
      assert.equal(entries.length, 1);
      assert.deepEqual(entries[0]!['kindVersion'], { kind: 'hashedrekord', version: '0.0.2' });
      const logged = parseHashedRekordEntryBody(Buffer.from(String(entries[0]!['canonicalizedBody']), 'base64'));
      assert.equal(logged.digest.toString('base64'), bundle['messageSignature']['messageDigest']['digest']);
      assert.equal(bundle['verificationMaterial']['timestampVerificationData']['rfc3161Timestamps'].length, 1);

      sigstoreVerify(bundle, keys(), readFileSync(artifact));
      const v = jsonOut(
        expectExit(
          await runCli([
            'verify-bundle',
            '--bundle',
            out,
            '--artifact',
            artifact,
            '--key',
            keys().publicPem,
            '--trusted-root',
            rootPath,
            '--json',
          ]),
          0,
        ),
      );
      assert.equal(getArray(v, 'tlogEntries').length, 1);
      // Another file does not verify against the logged digest.
      const other = join(dir, 'other.bin');
      writeFileSync(other, 'not the release');
      expectExit(
        await runCli(['verify-bundle', '--bundle', out, '--artifact', other, '--key', keys().publicPem, '--trusted-root', rootPath]),
        2,
      );

      // The stored record is found by the file's digest.
      const digestHex = Buffer.from(String(bundle['messageSignature']['messageDigest']['digest']), 'base64').toString('hex');
      if (name === 'P-256') {
        const found = await srv.request('GET', `/api/v1/attestations?subject=sha256:${digestHex}`, { token });
        assert.equal(found.status, 200, found.text);
        assert.ok((found.json as Json)['items'].some((i: Json) => i['id'] === stored['id']));
      }
      const meta = await srv.request('GET', `/api/v1/attestations/${String(stored['id'])}`, { token });
      assert.equal(meta.status, 200, meta.text);
      assert.equal((meta.json as Json)['messageSignature']['signature'], bundle['messageSignature']['signature']);
    });
  }

  test('re-uploading the same bundle resolves to the stored record (200, same id and log entry)', async () => {
    const bundle = signBlobBundle(readFileSync(artifact), createSigner(generateKeyPairFrom(p256)));
    const first = await upload(bundle);
    assert.equal(first.status, 201, first.text);
    const again = await upload(bundle);
    assert.equal(again.status, 200, again.text);
    assert.equal((again.json as Json)['id'], (first.json as Json)['id']);
    assert.equal((again.json as Json)['logIndex'], (first.json as Json)['logIndex']);
  });

  test('GC does not treat a stored message signature as an orphan', async () => {
    const first = await upload(signBlobBundle(Buffer.from('gc me not'), createSigner(generateKeyPairFrom(p256))));
    assert.equal(first.status, 201, first.text);
    const s = srv.services;
    const report = await collectOrphanBlobs(
      { blobs: s.blobs, evidence: s.repos.evidence },
      { now: new Date(Date.now() + 3_600_000), minAgeMs: 0, dryRun: true },
    );
    assert.ok(report.scanned >= 1);
    assert.deepEqual(report.orphans, []);
  });

  test('a signature by a key the tenant does not trust is refused (422) and nothing is written', async () => {
    const stranger = writeKeyFiles(join(dir, 'stranger'), 'ecdsa-p256');
    const bundle = signBlobBundle(readFileSync(artifact), createSigner(generateKeyPairFrom(stranger)));
    const r = await upload(bundle);
    assert.equal(r.status, 422, r.text);
    assert.equal((r.json as Json)['code'], 'E_SIGNATURE_INVALID');
    assert.match(String((r.json as Json)['message']), /attestry key trust/);
    const out = join(dir, 'refused.json');
    expectExit(
      await runCli([
        'sign-blob',
        artifact,
        '--key',
        stranger.privatePem,
        '--bundle',
        out,
        '--upload',
        '--server',
        srv.url,
        '--token',
        token,
      ]),
      2,
    );
    assert.ok(!existsSync(out));
  });

  test('a tampered digest is refused (422)', async () => {
    const bundle = signBlobBundle(readFileSync(artifact), createSigner(generateKeyPairFrom(p256)));
    const digest = Buffer.from(bundle.messageSignature.messageDigest.digest, 'base64');
    digest[0]! ^= 1;
    bundle.messageSignature.messageDigest.digest = digest.toString('base64');
    const r = await upload(bundle);
    assert.equal(r.status, 422, r.text);
    assert.equal((r.json as Json)['code'], 'E_SIGNATURE_INVALID');
    // A digest of the wrong length for its algorithm is a format error, not a signature check.
    bundle.messageSignature.messageDigest.digest = Buffer.alloc(20).toString('base64');
    const short = await upload(bundle);
    assert.equal(short.status, 400, short.text);
    assert.equal((short.json as Json)['code'], 'E_SIGNATURE_FORMAT');
  });

  test('an Ed25519 key is refused with a message naming ECDSA and attest, by the CLI and by the service', async () => {
    const out = join(dir, 'ed.json');
    const r = expectExit(
      await runCli([
        'sign-blob',
        artifact,
        '--key',
        ed.privatePem,
        '--bundle',
        out,
        '--upload',
        '--server',
        srv.url,
        '--token',
        token,
        '--json',
      ]),
      1,
    );
    const err = jsonOut(r);
    assert.equal(err['code'], 'E_KEY_UNSUPPORTED');
    assert.match(String(err['message']), /ECDSA P-256 or P-384[\s\S]*attestry attest --subject FILE/);
    assert.ok(!existsSync(out));
    // The service refuses it too (the tenant trusts this Ed25519 key; it still cannot check a digest with it).
    const bundle = signBlobBundle(readFileSync(artifact), createSigner(generateKeyPairFrom(ed)));
    const s = await upload(bundle);
    assert.equal(s.status, 400, s.text);
    assert.equal((s.json as Json)['code'], 'E_KEY_UNSUPPORTED');
    assert.match(String((s.json as Json)['message']), /ECDSA P-256 or P-384[\s\S]*attestry attest/);
  });
});

/** The private key of a key-file pair. */
function generateKeyPairFrom(keys: KeyFiles): KeyObject {
  return loadPrivateKey(readFileSync(keys.privatePem, 'utf8'), keys.privatePem);
}
