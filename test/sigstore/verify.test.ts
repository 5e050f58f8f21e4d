/**
 * Unit tests of the Sigstore layer that need no external data: trusted-root
 * validation, identity policies, the DSSE subject check, bad bundle input,
 * and the whole pipeline on key-signed message bundles made here (with the
 * log and timestamp thresholds at 0, since no log signs them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttestryError,
  checkIdentity,
  checkSubject,
  identityRegexpPolicy,
  parseSigstoreBundle,
  parseSigstoreBundleText,
  publicGoodTrustRoot,
  readSigstoreBundleFile,
  summarizeStatement,
  trustRootFromJson,
  verifySigstoreBundle,
  type BundleArtifact,
  type SignerPolicy,
} from '../../src/index.js';

function failsWith(fn: () => unknown, code: string, check?: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AttestryError, `not an AttestryError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (check !== undefined) assert.equal(e.details?.['check'], check, e.message);
    if (message !== undefined) assert.match(e.message, message);
    return true;
  });
}

const embedded = publicGoodTrustRoot();

test('the public-good trusted root is read from @sigstore/tuf without network', () => {
  assert.match(embedded.source, /^embedded:@sigstore\/tuf@\d/);
  assert.ok(embedded.material.tlogs.length >= 2, 'Rekor v1 and v2 logs');
  assert.ok(embedded.material.certificateAuthorities.length >= 1);
  assert.ok(embedded.material.timestampAuthorities.length >= 1);
  assert.equal(publicGoodTrustRoot(), embedded, 'parsed once');
});

test('trusted roots: a log key without validFor.start is rejected, a null end is unbounded', () => {
  const json = structuredClone(embedded.json) as { tlogs: { publicKey: { validFor: { start?: string; end?: string | null } } }[] };
  json.tlogs[0]!.publicKey.validFor.end = null;
  assert.ok(trustRootFromJson(json, 'ok').material.tlogs.length >= 2);
  delete json.tlogs[1]!.publicKey.validFor.start;
  failsWith(() => trustRootFromJson(json, 'bad'), 'E_INVALID_INPUT', undefined, /tlogs\.1\.publicKey\.validFor\.start: required/);
  failsWith(
    () => trustRootFromJson({ ...embedded.json, mediaType: 'application/json' }, 'bad'),
    'E_INVALID_INPUT',
    undefined,
    /media type/,
  );
  const reversed = structuredClone(embedded.json) as { tlogs: { publicKey: { validFor: { start: string; end?: string } } }[] };
  reversed.tlogs[0]!.publicKey.validFor.end = '2000-01-01T00:00:00Z';
  failsWith(() => trustRootFromJson(reversed, 'bad'), 'E_INVALID_INPUT', undefined, /ends before it starts/);
});

test('identity policy: exact means exact (no regular expression), the issuer must match too', () => {
  const issuer = 'https://token.actions.githubusercontent.com';
  const san = 'https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main';
  checkIdentity({ kind: 'identity', identity: san, issuer }, { subjectAlternativeName: san, issuer });
  // sigstore-js would accept both of these: its policy is an unanchored regular expression.
  failsWith(
    () => checkIdentity({ kind: 'identity', identity: san, issuer }, { subjectAlternativeName: `${san}x`, issuer }),
    'E_SIGNATURE_INVALID',
    'identity',
  );
  failsWith(
    () => checkIdentity({ kind: 'identity', identity: 'a.b@example.com', issuer }, { subjectAlternativeName: 'aXb@example.com', issuer }),
    'E_SIGNATURE_INVALID',
    'identity',
  );
  failsWith(
    () => checkIdentity({ kind: 'identity', identity: san, issuer }, { subjectAlternativeName: san, issuer: 'https://evil.example' }),
    'E_SIGNATURE_INVALID',
    'issuer',
  );
  failsWith(
    () => checkIdentity({ kind: 'identity', identity: san, issuer }, { subjectAlternativeName: undefined, issuer }),
    'E_SIGNATURE_INVALID',
    'identity',
  );
  const re = identityRegexpPolicy('^https://github\\.com/org/', issuer);
  assert.equal(re.kind, 'identity-regexp');
  if (re.kind !== 'identity-regexp') return;
  checkIdentity(re, { subjectAlternativeName: san, issuer });
  failsWith(() => checkIdentity(re, { subjectAlternativeName: 'https://github.com/other/x', issuer }), 'E_SIGNATURE_INVALID', 'identity');
  failsWith(() => identityRegexpPolicy('(', issuer), 'E_USAGE');
});

test('DSSE subject check: the artifact must be a subject of the in-toto statement', () => {
  const data = Buffer.from('hello');
  const hex = createHash('sha256').update(data).digest('hex');
  const payload = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'h', digest: { sha256: hex.toUpperCase() } }],
      predicateType: 'p',
      predicate: {},
    }),
  );
  const statement = summarizeStatement('application/vnd.in-toto+json', payload);
  checkSubject(statement, { kind: 'bytes', data });
  checkSubject(statement, { kind: 'digest', algorithm: 'sha256', digest: Buffer.from(hex, 'hex') });
  failsWith(() => checkSubject(statement, { kind: 'bytes', data: Buffer.from('other') }), 'E_SIGNATURE_INVALID', 'subject-digest');
  failsWith(() => summarizeStatement('text/plain', payload), 'E_SIGNATURE_INVALID', 'subject-digest');
  failsWith(() => summarizeStatement('application/vnd.in-toto+json', Buffer.from('{')), 'E_SIGNATURE_INVALID', 'subject-digest');
});

test('bad bundle input: malformed, truncated, unknown media type, wrong shape, over the size limit', () => {
  failsWith(
    () => parseSigstoreBundleText('{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "verif'),
    'E_SIGNATURE_FORMAT',
    undefined,
    /not valid JSON/,
  );
  failsWith(() => parseSigstoreBundleText('[]'), 'E_SIGNATURE_FORMAT', undefined, /not a JSON object/);
  failsWith(
    () => parseSigstoreBundle({ mediaType: 'application/vnd.dev.sigstore.bundle+json;version=99.9' }),
    'E_SIGNATURE_FORMAT',
    undefined,
    /unknown media type/,
  );
  failsWith(
    () => parseSigstoreBundle({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', verificationMaterial: 7 }),
    'E_SIGNATURE_FORMAT',
    undefined,
    /not a valid v0\.3 bundle/,
  );
  const dir = mkdtempSync(join(tmpdir(), 'attestry-bundle-'));
  try {
    const huge = join(dir, 'huge.json');
    const fd = openSync(huge, 'w');
    ftruncateSync(fd, 2048); // sparse
    closeSync(fd);
    failsWith(() => readSigstoreBundleFile(huge, 1024), 'E_INVALID_INPUT', undefined, /over the 1024-byte limit/);
    writeFileSync(join(dir, 'empty.json'), '');
    failsWith(() => readSigstoreBundleFile(join(dir, 'empty.json')), 'E_SIGNATURE_FORMAT', undefined, /not valid JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A v0.3 message-signature bundle signed with `key` over `artifact` (no log entry). */
function keyBundle(privateKey: KeyObject, artifact: Buffer, hash: string | null = 'sha256'): unknown {
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: 'test-key' }, tlogEntries: [] },
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(artifact).digest('base64') },
      signature: sign(hash, artifact, privateKey).toString('base64'),
    },
  };
}

test('key-signed message bundles: bytes and digest modes, and each failure named', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const artifact = Buffer.from('attestry artifact\n');
  const bundle = keyBundle(privateKey, artifact);
  const policy: SignerPolicy = { kind: 'key', publicKey };
  const noLog = { tlogThreshold: 0, timestampThreshold: 0 };
  const digest: BundleArtifact = { kind: 'digest', algorithm: 'sha256', digest: createHash('sha256').update(artifact).digest() };

  const r = verifySigstoreBundle(bundle, { policy, artifact: { kind: 'bytes', data: artifact }, ...noLog });
  assert.equal(r.signer.kind, 'public-key');
  assert.equal(r.content, 'message-signature');
  verifySigstoreBundle(bundle, { policy, artifact: digest, ...noLog });

  failsWith(
    () => verifySigstoreBundle(bundle, { policy, artifact: { kind: 'bytes', data: Buffer.from('other') }, ...noLog }),
    'E_SIGNATURE_INVALID',
    'artifact-digest',
  );
  failsWith(
    () => verifySigstoreBundle(bundle, { policy, artifact: { kind: 'digest', algorithm: 'sha256', digest: Buffer.alloc(32) }, ...noLog }),
    'E_SIGNATURE_INVALID',
    'artifact-digest',
  );
  const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
  failsWith(
    () => verifySigstoreBundle(bundle, { policy: { kind: 'key', publicKey: other }, artifact: digest, ...noLog }),
    'E_SIGNATURE_INVALID',
    'signature',
  );
  failsWith(
    () =>
      verifySigstoreBundle(bundle, { policy: { kind: 'key', publicKey: other }, artifact: { kind: 'bytes', data: artifact }, ...noLog }),
    'E_SIGNATURE_INVALID',
    'signature',
  );
  // By default a bundle needs a verified timestamp and a log entry.
  failsWith(() => verifySigstoreBundle(bundle, { policy, artifact: digest }), 'E_SIGNATURE_INVALID', 'timestamp');
  failsWith(() => verifySigstoreBundle(bundle, { policy, artifact: digest, timestampThreshold: 0 }), 'E_SIGNATURE_INVALID', 'tlog');
  // A key bundle is not checked against an identity, nor without an artifact.
  failsWith(
    () => verifySigstoreBundle(bundle, { policy: { kind: 'identity', identity: 'x', issuer: 'y' }, artifact: digest, ...noLog }),
    'E_SIGNATURE_INVALID',
    'verification-material',
  );
  failsWith(() => verifySigstoreBundle(bundle, { policy, ...noLog }), 'E_USAGE');

  // Ed25519 signs the artifact itself: a digest alone cannot be checked.
  const ed = generateKeyPairSync('ed25519');
  const edBundle = keyBundle(ed.privateKey, artifact, null);
  verifySigstoreBundle(edBundle, {
    policy: { kind: 'key', publicKey: ed.publicKey },
    artifact: { kind: 'bytes', data: artifact },
    ...noLog,
  });
  failsWith(
    () => verifySigstoreBundle(edBundle, { policy: { kind: 'key', publicKey: ed.publicKey }, artifact: digest, ...noLog }),
    'E_USAGE',
    undefined,
    /Ed25519/,
  );
});
