/**
 * `attestry sign-blob` and `attestry attest` end to end: bundles written by the
 * CLI verify with `verify-bundle` (key-only: --offline-key-only), tampering
 * exits 2, and `attest --upload` against a real started server writes the
 * service's bundle, whose log entry verifies with @sigstore/verify and
 * verify-bundle against the service's trusted root.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { loadPublicKey } from '../../src/crypto/keys.js';
import { trustPublicKey } from '../../src/evidence/trust.js';
import { expectExit, getArray, getRecord, getString, jsonOut, runCli, writeKeyFiles, type KeyFiles } from '../helpers/cli.js';
import { isRecord } from '../helpers/model.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let dir: string;
let keys: KeyFiles;
let artifact: string;
let predicate: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'attestry-signblob-'));
  keys = writeKeyFiles(join(dir, 'keys'), 'ecdsa-p256');
  artifact = join(dir, 'release.tar.gz');
  writeFileSync(artifact, Buffer.from('pretend tarball\n'.repeat(1000)));
  predicate = join(dir, 'provenance.json');
  writeFileSync(predicate, JSON.stringify({ buildDefinition: { buildType: 'https://example.com/build/v1' }, runDetails: {} }));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const readJson = (path: string): Record<string, unknown> => {
  const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
  assert.ok(isRecord(v));
  return v;
};

describe('sign-blob', () => {
  test('writes a message-signature bundle that verify-bundle accepts with --offline-key-only', async () => {
    const out = jsonOut(expectExit(await runCli(['sign-blob', artifact, '--key', keys.privatePem, '--json']), 0));
    const bundlePath = getString(out, 'bundle');
    assert.equal(bundlePath, `${artifact}.sigstore.json`);
    assert.equal(getString(getRecord(out, 'messageDigest'), 'hex'), createHash('sha256').update(readFileSync(artifact)).digest('hex'));
    const bundle = readJson(bundlePath);
    assert.equal(bundle['mediaType'], 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.ok(isRecord(bundle['messageSignature']));

    const ok = jsonOut(
      expectExit(
        await runCli([
          'verify-bundle',
          '--bundle',
          bundlePath,
          '--artifact',
          artifact,
          '--key',
          keys.publicPem,
          '--offline-key-only',
          '--json',
        ]),
        0,
      ),
    );
    assert.equal(ok['content'], 'message-signature');
    // Without the flag a key-only bundle is refused: it proves no time.
    expectExit(await runCli(['verify-bundle', '--bundle', bundlePath, '--artifact', artifact, '--key', keys.publicPem]), 2);
    const digest = `sha256:${getString(getRecord(out, 'messageDigest'), 'hex')}`;
    expectExit(
      await runCli(['verify-bundle', '--bundle', bundlePath, '--digest', digest, '--key', keys.publicPem, '--offline-key-only']),
      0,
    );
    expectExit(
      await runCli(['verify-bundle', '--bundle', bundlePath, '--digest', digest, '--identity', 'x', '--issuer', 'y', '--offline-key-only']),
      1,
    );
  });

  test('a changed file, a changed signature or another key exit 2', async () => {
    const bundlePath = join(dir, 'tamper.sigstore.json');
    expectExit(await runCli(['sign-blob', artifact, '--key', keys.privatePem, '--bundle', bundlePath]), 0);
    const changed = join(dir, 'changed.tar.gz');
    const bytes = readFileSync(artifact);
    bytes[500]! ^= 1;
    writeFileSync(changed, bytes);
    const r = expectExit(
      await runCli(['verify-bundle', '--bundle', bundlePath, '--artifact', changed, '--key', keys.publicPem, '--offline-key-only']),
      2,
    );
    assert.match(r.stderr, /artifact-digest|digest/);

    const b = readJson(bundlePath) as { messageSignature: { signature: string } };
    const sig = Buffer.from(b.messageSignature.signature, 'base64');
    sig[sig.length - 2]! ^= 1;
    b.messageSignature.signature = sig.toString('base64');
    const badSig = join(dir, 'badsig.sigstore.json');
    writeFileSync(badSig, JSON.stringify(b));
    assert.match(
      expectExit(
        await runCli(['verify-bundle', '--bundle', badSig, '--artifact', artifact, '--key', keys.publicPem, '--offline-key-only']),
        2,
      ).stderr,
      /signature/,
    );

    const other = writeKeyFiles(join(dir, 'other'), 'ecdsa-p256');
    expectExit(
      await runCli(['verify-bundle', '--bundle', bundlePath, '--artifact', artifact, '--key', other.publicPem, '--offline-key-only']),
      2,
    );
  });

  test('--help shows examples; a missing file or key is a load error', async () => {
    assert.match(expectExit(await runCli(['sign-blob', '--help']), 0).stdout, /Examples:[\s\S]*pkcs11:/);
    assert.match(expectExit(await runCli(['attest', '--help']), 0).stdout, /Examples:[\s\S]*--upload/);
    expectExit(await runCli(['sign-blob', join(dir, 'absent'), '--key', keys.privatePem]), 1);
    expectExit(await runCli(['sign-blob', artifact, '--key', join(dir, 'absent.pem')]), 1);
  });
});

describe('attest', () => {
  test('signs an in-toto statement about files or digests; verify-bundle checks the subject', async () => {
    const second = join(dir, 'second.bin');
    writeFileSync(second, 'second subject');
    const bundlePath = join(dir, 'att.sigstore.json');
    const out = jsonOut(
      expectExit(
        await runCli([
          'attest',
          '--predicate',
          predicate,
          '--type',
          'https://slsa.dev/provenance/v1',
          '--subject',
          artifact,
          second,
          '--key',
          keys.privatePem,
          '--bundle',
          bundlePath,
          '--json',
        ]),
        0,
      ),
    );
    const subjects = getArray(out, 'subjects');
    assert.equal(subjects.length, 2);
    assert.deepEqual(subjects[1], { name: 'second.bin', digest: `sha256:${createHash('sha256').update('second subject').digest('hex')}` });
    const bundle = readJson(bundlePath) as { dsseEnvelope: { payloadType: string; payload: string } };
    assert.equal(bundle.dsseEnvelope.payloadType, 'application/vnd.in-toto+json');
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as Record<string, unknown>;
    assert.equal(statement['_type'], 'https://in-toto.io/Statement/v1');
    assert.equal(statement['predicateType'], 'https://slsa.dev/provenance/v1');
    assert.deepEqual(statement['predicate'], JSON.parse(readFileSync(predicate, 'utf8')));

    for (const a of [artifact, second]) {
      const v = jsonOut(
        expectExit(
          await runCli(['verify-bundle', '--bundle', bundlePath, '--artifact', a, '--key', keys.publicPem, '--offline-key-only', '--json']),
          0,
        ),
      );
      assert.equal(getRecord(v, 'statement')['predicateType'], 'https://slsa.dev/provenance/v1');
    }
    const r = expectExit(
      await runCli(['verify-bundle', '--bundle', bundlePath, '--artifact', predicate, '--key', keys.publicPem, '--offline-key-only']),
      2,
    );
    assert.match(r.stderr, /subject/);

    const digest = `sha256:${'c'.repeat(64)}`;
    const byDigest = join(dir, 'digest.sigstore.json');
    expectExit(
      await runCli([
        'attest',
        '--predicate',
        predicate,
        '--type',
        'https://example.com/scan/v1',
        '--digest',
        digest,
        '--key',
        keys.privatePem,
        '--bundle',
        byDigest,
      ]),
      0,
    );
    expectExit(await runCli(['verify-bundle', '--bundle', byDigest, '--digest', digest, '--key', keys.publicPem, '--offline-key-only']), 0);
  });

  test('bad input: no subject, a predicate that is not a JSON object, a type that is not a URI', async () => {
    const b = join(dir, 'bad.json');
    assert.match(
      expectExit(await runCli(['attest', '--predicate', predicate, '--type', 'https://x/v1', '--key', keys.privatePem, '--bundle', b]), 1)
        .stderr,
      /--subject/,
    );
    const notObject = join(dir, 'array.json');
    writeFileSync(notObject, '[1,2]');
    expectExit(
      await runCli([
        'attest',
        '--predicate',
        notObject,
        '--type',
        'https://x/v1',
        '--digest',
        `sha256:${'a'.repeat(64)}`,
        '--key',
        keys.privatePem,
        '--bundle',
        b,
      ]),
      1,
    );
    expectExit(
      await runCli([
        'attest',
        '--predicate',
        predicate,
        '--type',
        'provenance',
        '--digest',
        `sha256:${'a'.repeat(64)}`,
        '--key',
        keys.privatePem,
        '--bundle',
        b,
      ]),
      1,
    );
    assert.ok(!existsSync(b));
  });
});

describe('attest --upload against a started server', () => {
  let srv: TestServer;
  let token: string;

  before(async () => {
    srv = await startTestServer();
    await srv.addTenant('builds');
    const s = srv.services;
    await trustPublicKey(
      s.repos.trustedKeys,
      'builds',
      'release-key',
      loadPublicKey(readFileSync(keys.publicPem, 'utf8'), 'public.pem'),
      s.clock.now(),
    );
    token = await srv.token('signals-service', ['builds']);
  });
  after(async () => srv?.stop());

  test('stores the attestation and writes the service bundle with its log entry; it verifies', async () => {
    const bundlePath = join(dir, 'uploaded.sigstore.json');
    const out = jsonOut(
      expectExit(
        await runCli(
          [
            'attest',
            '--predicate',
            predicate,
            '--type',
            'https://slsa.dev/provenance/v1',
            '--subject',
            artifact,
            '--key',
            keys.privatePem,
            '--bundle',
            bundlePath,
            '--upload',
            '--server',
            srv.url,
            '--json',
          ],
          {
            env: { ATTESTRY_TOKEN: token },
          },
        ),
        0,
      ),
    );
    const upload = getRecord(out, 'upload');
    assert.equal(upload['tenant'], 'builds');
    assert.equal(upload['created'], true);
    assert.equal(typeof upload['logIndex'], 'number');
    const bundle = readJson(bundlePath);
    const material = getRecord(bundle, 'verificationMaterial');
    assert.equal(getArray(material, 'tlogEntries').length, 1, 'the service bundle carries the log entry');

    // Stock @sigstore/verify: the log from the service's trusted root, the key by its hint.
    const root = await srv.request('GET', '/api/v1/log/trusted-root');
    assert.equal(root.status, 200);
    const publicKey = loadPublicKey(readFileSync(keys.publicPem, 'utf8'), 'public.pem');
    const trust = toTrustMaterial(TrustedRoot.fromJSON(root.json), () => ({ publicKey, validFor: () => true }));
    new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 0 }).verify(toSignedEntity(bundleFromJSON(bundle)));

    // attestry verify-bundle with that trusted root checks the inclusion proof and checkpoint.
    const rootPath = join(dir, 'trusted_root.json');
    writeFileSync(rootPath, root.text);
    const v = jsonOut(
      expectExit(
        await runCli([
          'verify-bundle',
          '--bundle',
          bundlePath,
          '--artifact',
          artifact,
          '--key',
          keys.publicPem,
          '--trusted-root',
          rootPath,
          '--offline-key-only',
          '--json',
        ]),
        0,
      ),
    );
    assert.equal(getArray(v, 'tlogEntries').length, 1);
    // A checkpoint claiming another tree head is not signed by this log.
    const tampered = structuredClone(bundle) as {
      verificationMaterial: { tlogEntries: { inclusionProof: { checkpoint: { envelope: string } } }[] };
    };
    const proof = tampered.verificationMaterial.tlogEntries[0]!.inclusionProof;
    const lines = proof.checkpoint.envelope.split('\n');
    lines[2] = Buffer.alloc(32, 1).toString('base64');
    proof.checkpoint.envelope = lines.join('\n');
    const tamperedPath = join(dir, 'uploaded-tampered.json');
    writeFileSync(tamperedPath, JSON.stringify(tampered));
    expectExit(
      await runCli([
        'verify-bundle',
        '--bundle',
        tamperedPath,
        '--artifact',
        artifact,
        '--key',
        keys.publicPem,
        '--trusted-root',
        rootPath,
        '--offline-key-only',
      ]),
      2,
    );

    // Uploading the same statement again resolves to the stored record.
    const again = jsonOut(
      await runCli([
        'attest',
        '--predicate',
        predicate,
        '--type',
        'https://slsa.dev/provenance/v1',
        '--subject',
        artifact,
        '--key',
        keys.privatePem,
        '--bundle',
        join(dir, 'again.json'),
        '--upload',
        '--server',
        srv.url,
        '--token',
        token,
        '--json',
      ]),
    );
    assert.equal(typeof getRecord(again, 'upload')['id'], 'string');
  });

  test('a key the tenant does not trust is refused by the service (exit 2) and nothing is written', async () => {
    const stranger = writeKeyFiles(join(dir, 'stranger'), 'ed25519');
    const bundlePath = join(dir, 'refused.json');
    const r = expectExit(
      await runCli([
        'attest',
        '--predicate',
        predicate,
        '--type',
        'https://x/v1',
        '--digest',
        `sha256:${'d'.repeat(64)}`,
        '--key',
        stranger.privatePem,
        '--bundle',
        bundlePath,
        '--upload',
        '--server',
        srv.url,
        '--token',
        token,
      ]),
      2,
    );
    assert.match(r.stderr, /trusted/);
    assert.ok(!existsSync(bundlePath));
  });
});
