/**
 * sign-blob and attest bundles: round trips through attestry's verify-bundle
 * pipeline and through stock `@sigstore/verify` (key trust material, no log,
 * no timestamp: thresholds 0), and every tampering detected.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { AttestryError } from '../../src/core/errors.js';
import { attestBundle, signBlobBundle, subjectFromDigest } from '../../src/crypto/blob-bundle.js';
import { BUNDLE_V03_MEDIA_TYPE } from '../../src/crypto/bundle.js';
import { generateKeyPair, omsKeyHint, type KeyAlgorithm } from '../../src/crypto/keys.js';
import { createSigner } from '../../src/crypto/signer.js';
import { verifySigstoreBundle, type BundleArtifact } from '../../src/sigstore/index.js';
import { expectAttestryError } from '../core/helpers.js';

const EMPTY_ROOT = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};

/** Stock sigstore-js verification: the key is found by the bundle's hint, nothing else is trusted. */
function sigstoreJsVerify(bundle: unknown, publicKey: KeyObject, artifact?: Buffer): void {
  const hint = omsKeyHint(publicKey);
  const trust = toTrustMaterial(TrustedRoot.fromJSON(EMPTY_ROOT), (h) => {
    if (h !== hint) throw new Error(`unknown key hint ${h}`);
    return { publicKey, validFor: () => true };
  });
  new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(
    toSignedEntity(bundleFromJSON(bundle), artifact),
  );
}

function attestryVerify(bundle: unknown, publicKey: KeyObject, artifact: BundleArtifact) {
  return verifySigstoreBundle(bundle, { policy: { kind: 'key', publicKey }, artifact, tlogThreshold: 0, timestampThreshold: 0 });
}

function failsCheck(fn: () => unknown, check: string): void {
  assert.throws(
    fn,
    (e: unknown) => e instanceof AttestryError && e.code === 'E_SIGNATURE_INVALID' && e.details?.['check'] === check,
    `expected check ${check}`,
  );
}

const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

test('sign-blob bundles verify with attestry and @sigstore/verify (ECDSA), digest = the signature hash', () => {
  const data = randomBytes(10_000);
  for (const [algorithm, proto, hash] of [
    ['ecdsa-p256', 'SHA2_256', 'sha256'],
    ['ecdsa-p384', 'SHA2_384', 'sha384'],
    ['ecdsa-p521', 'SHA2_512', 'sha512'],
  ] as const) {
    const pair = generateKeyPair(algorithm);
    const bundle = signBlobBundle(data, createSigner(pair.privateKey));
    assert.equal(bundle.mediaType, BUNDLE_V03_MEDIA_TYPE);
    assert.equal(bundle.messageSignature.messageDigest.algorithm, proto);
    assert.equal(bundle.messageSignature.messageDigest.digest, createHash(hash).update(data).digest('base64'));
    assert.equal(bundle.verificationMaterial.publicKey.hint, omsKeyHint(pair.publicKey));
    const r = attestryVerify(copy(bundle), pair.publicKey, { kind: 'bytes', data });
    assert.equal(r.content, 'message-signature');
    sigstoreJsVerify(copy(bundle), pair.publicKey, data);
    if (algorithm === 'ecdsa-p256') {
      // A digest alone is enough for ECDSA (what `verify-bundle --digest` does).
      attestryVerify(copy(bundle), pair.publicKey, {
        kind: 'digest',
        algorithm: 'sha256',
        digest: createHash('sha256').update(data).digest(),
      });
    }
  }
});

test('sign-blob with Ed25519 signs the bytes themselves (PureEdDSA) and verifies with attestry', () => {
  const data = Buffer.from('ed25519 artifact');
  const pair = generateKeyPair('ed25519');
  const bundle = signBlobBundle(data, createSigner(pair.privateKey));
  assert.equal(bundle.messageSignature.messageDigest.algorithm, 'SHA2_256');
  attestryVerify(copy(bundle), pair.publicKey, { kind: 'bytes', data });
  failsCheck(
    () => attestryVerify(copy(bundle), pair.publicKey, { kind: 'bytes', data: Buffer.from('ed25519 artifacT') }),
    'artifact-digest',
  );
});

test('sign-blob tampering: artifact, signature, digest and key each fail, named', () => {
  const data = Buffer.from('release 1.0');
  const pair = generateKeyPair('ecdsa-p256');
  const bundle = signBlobBundle(data, createSigner(pair.privateKey));
  const other = Buffer.from('release 1.1');
  failsCheck(() => attestryVerify(copy(bundle), pair.publicKey, { kind: 'bytes', data: other }), 'artifact-digest');
  assert.throws(() => sigstoreJsVerify(copy(bundle), pair.publicKey, other));

  const badSig = copy(bundle);
  const sig = Buffer.from(badSig.messageSignature.signature, 'base64');
  sig[sig.length - 3]! ^= 0x01;
  badSig.messageSignature.signature = sig.toString('base64');
  failsCheck(() => attestryVerify(badSig, pair.publicKey, { kind: 'bytes', data }), 'signature');
  assert.throws(() => sigstoreJsVerify(copy(badSig), pair.publicKey, data));

  // A digest that names another file, with the signature still over this one.
  const badDigest = copy(bundle);
  badDigest.messageSignature.messageDigest.digest = createHash('sha256').update(other).digest('base64');
  failsCheck(() => attestryVerify(badDigest, pair.publicKey, { kind: 'bytes', data }), 'artifact-digest');
  // (@sigstore/verify 3 checks only the signature over the bytes here and accepts this bundle;
  // attestry also compares the recorded digest, which is what a log entry would bind.)

  const wrongKey = generateKeyPair('ecdsa-p256').publicKey;
  failsCheck(() => attestryVerify(copy(bundle), wrongKey, { kind: 'bytes', data }), 'signature');
});

test('attest bundles: in-toto Statement v1 in DSSE, verified by attestry (subject) and @sigstore/verify', () => {
  const artifact = Buffer.from('app.tgz bytes');
  const hex = createHash('sha256').update(artifact).digest('hex');
  for (const algorithm of ['ecdsa-p256', 'ecdsa-p384', 'ed25519'] satisfies KeyAlgorithm[]) {
    const pair = generateKeyPair(algorithm);
    const { bundle, statement } = attestBundle(
      {
        subjects: [{ name: 'app.tgz', digest: { sha256: hex } }, subjectFromDigest(`sha256:${'AB'.repeat(32)}`)],
        predicateType: 'https://slsa.dev/provenance/v1',
        predicate: { buildType: 'x' },
      },
      createSigner(pair.privateKey),
    );
    assert.equal(bundle.dsseEnvelope.payloadType, 'application/vnd.in-toto+json');
    assert.equal(statement._type, 'https://in-toto.io/Statement/v1');
    assert.deepEqual(statement.subject[1], { digest: { sha256: 'ab'.repeat(32) } });
    const r = attestryVerify(copy(bundle), pair.publicKey, { kind: 'bytes', data: artifact });
    assert.equal(r.statement?.predicateType, 'https://slsa.dev/provenance/v1');
    assert.equal(r.content, 'dsse');
    // @sigstore/verify 3 checks DSSE signatures with SHA-256 whatever the curve, so it refuses
    // P-384 signatures over SHA-384 (the curve's hash, which attestry and model_signing use).
    if (algorithm !== 'ecdsa-p384') sigstoreJsVerify(copy(bundle), pair.publicKey);

    failsCheck(() => attestryVerify(copy(bundle), pair.publicKey, { kind: 'bytes', data: Buffer.from('another file') }), 'subject-digest');
    const tampered = copy(bundle);
    const payload = JSON.parse(Buffer.from(tampered.dsseEnvelope.payload, 'base64').toString('utf8')) as {
      predicate: { buildType: string };
    };
    payload.predicate.buildType = 'y';
    tampered.dsseEnvelope.payload = Buffer.from(JSON.stringify(payload)).toString('base64');
    failsCheck(() => attestryVerify(tampered, pair.publicKey, { kind: 'bytes', data: artifact }), 'signature');
    assert.throws(() => sigstoreJsVerify(copy(tampered), pair.publicKey));
  }
});

test('DSSE bundles signed with P-384 over SHA-384 or over SHA-256 (sigstore-js reading) both verify; other keys do not', () => {
  const pair = generateKeyPair('ecdsa-p384');
  const subjects = [subjectFromDigest(`sha256:${'e'.repeat(64)}`)];
  const { bundle } = attestBundle({ subjects, predicateType: 'https://x/v1', predicate: {} }, createSigner(pair.privateKey));
  attestryVerify(copy(bundle), pair.publicKey, { kind: 'digest', algorithm: 'sha256', digest: Buffer.from('e'.repeat(64), 'hex') });
  const sha256Signer = { ...createSigner(pair.privateKey), sign: (data: Uint8Array) => sign('sha256', data, pair.privateKey) };
  const { bundle: b256 } = attestBundle({ subjects, predicateType: 'https://x/v1', predicate: {} }, sha256Signer);
  attestryVerify(copy(b256), pair.publicKey, { kind: 'digest', algorithm: 'sha256', digest: Buffer.from('e'.repeat(64), 'hex') });
  sigstoreJsVerify(copy(b256), pair.publicKey);
  failsCheck(
    () =>
      attestryVerify(copy(bundle), generateKeyPair('ecdsa-p384').publicKey, {
        kind: 'digest',
        algorithm: 'sha256',
        digest: Buffer.from('e'.repeat(64), 'hex'),
      }),
    'signature',
  );
});

test('attest input checks: subjects, predicate type URI, predicate object', () => {
  const signer = createSigner(generateKeyPair().privateKey);
  const subjects = [subjectFromDigest(`sha256:${'0'.repeat(64)}`)];
  expectAttestryError(() => attestBundle({ subjects: [], predicateType: 'https://x/v1', predicate: {} }, signer), 'E_USAGE', /subject/);
  expectAttestryError(() => attestBundle({ subjects, predicateType: 'not a uri', predicate: {} }, signer), 'E_USAGE', /URI/);
  expectAttestryError(
    () => attestBundle({ subjects, predicateType: 'https://x/v1', predicate: [1] }, signer),
    'E_INVALID_INPUT',
    /JSON object/,
  );
  expectAttestryError(() => subjectFromDigest('sha256:abc'), 'E_USAGE', /64 hex/);
});
