import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalBytes } from '../../src/core/canonical-json.js';
import { sha256Hex } from '../../src/core/digest.js';
import { BUNDLE_V03_MEDIA_TYPE, buildKeyBundle, parseBundle } from '../../src/crypto/bundle.js';
import { signEnvelope, verifyEnvelope, type DsseEnvelope } from '../../src/crypto/dsse.js';
import { INTOTO_PAYLOAD_TYPE, STATEMENT_TYPE_V1, buildStatement, parseStatement } from '../../src/crypto/intoto.js';
import { generateKeyPair, omsKeyHint, publicKeyDer } from '../../src/crypto/keys.js';
import { createSigner, createVerifier } from '../../src/crypto/signer.js';
import { expectAttestryError } from '../core/helpers.js';

const DIGEST = sha256Hex('model weights');
const PREDICATE_TYPE = 'https://model_signing/signature/v1.0';

function statementJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    _type: STATEMENT_TYPE_V1,
    subject: [{ name: 'model', digest: { sha256: DIGEST } }],
    predicateType: PREDICATE_TYPE,
    predicate: { resources: [] },
    ...overrides,
  };
}

describe('in-toto Statement v1', () => {
  test('constants match the in-toto spec', () => {
    assert.equal(STATEMENT_TYPE_V1, 'https://in-toto.io/Statement/v1');
    assert.equal(INTOTO_PAYLOAD_TYPE, 'application/vnd.in-toto+json');
  });

  test('build -> JSON -> parse round trip', () => {
    const subject = [{ name: 'model', digest: { sha256: DIGEST }, annotations: { note: 'x' } }];
    const predicate = { resources: [{ name: 'a.bin', digest: DIGEST }] };
    const built = buildStatement(subject, PREDICATE_TYPE, predicate);
    assert.deepEqual(built, { _type: STATEMENT_TYPE_V1, subject, predicateType: PREDICATE_TYPE, predicate });
    const parsed = parseStatement(JSON.parse(JSON.stringify(built)) as unknown);
    assert.deepEqual(parsed, built);
  });

  test('round trip through a signed DSSE envelope', () => {
    const kp = generateKeyPair('ed25519');
    const statement = buildStatement([{ name: 'm', digest: { sha256: DIGEST } }], PREDICATE_TYPE, { k: 1 });
    const env = signEnvelope(INTOTO_PAYLOAD_TYPE, canonicalBytes(statement), [createSigner(kp.privateKey)]);
    const verified = verifyEnvelope(env, [createVerifier(kp.publicKey)]);
    assert.deepEqual(parseStatement(JSON.parse(verified.payload.toString('utf8')) as unknown), statement);
  });

  test('unknown subject fields are kept (resource descriptors are open)', () => {
    const parsed = parseStatement(statementJson({ subject: [{ name: 'm', digest: { sha256: DIGEST }, uri: 'https://x' }] }));
    assert.equal(parsed.subject[0]?.['uri'], 'https://x');
  });

  test('upper-case hex and multiple digest algorithms are accepted', () => {
    const digest = { sha256: DIGEST.toUpperCase(), sha512: sha256Hex('a') + sha256Hex('b') };
    assert.deepEqual(parseStatement(statementJson({ subject: [{ digest }] })).subject[0]?.digest, digest);
  });

  test('wrong or missing _type is rejected naming `_type`', () => {
    for (const _type of ['https://in-toto.io/Statement/v0.1', 'https://in-toto.io/Statement/v1/', '', 42]) {
      expectAttestryError(() => parseStatement(statementJson({ _type })), 'E_SIGNATURE_FORMAT', /invalid in-toto statement/, /_type/);
    }
    const { _type: _omitted, ...rest } = statementJson();
    void _omitted;
    expectAttestryError(() => parseStatement(rest), 'E_SIGNATURE_FORMAT', /_type/);
  });

  test('the error code can be chosen by the caller', () => {
    expectAttestryError(() => parseStatement(statementJson({ _type: 'x' }), 'E_INVALID_INPUT'), 'E_INVALID_INPUT', /_type/);
  });

  test('subject rules: at least one, digest non-empty and hex', () => {
    expectAttestryError(() => parseStatement(statementJson({ subject: [] })), 'E_SIGNATURE_FORMAT', /subject: at least one subject/);
    expectAttestryError(
      () => parseStatement(statementJson({ subject: [{ name: 'm', digest: {} }] })),
      'E_SIGNATURE_FORMAT',
      /subject\.0\.digest/,
    );
    expectAttestryError(
      () => parseStatement(statementJson({ subject: [{ digest: { sha256: 'xyz' } }] })),
      'E_SIGNATURE_FORMAT',
      /subject\.0\.digest\.sha256: digest values are hex/,
    );
    expectAttestryError(() => parseStatement(statementJson({ subject: [{ name: 'm' }] })), 'E_SIGNATURE_FORMAT', /subject\.0\.digest/);
  });

  test('predicateType must be a non-empty string', () => {
    expectAttestryError(() => parseStatement(statementJson({ predicateType: '' })), 'E_SIGNATURE_FORMAT', /predicateType/);
    expectAttestryError(() => parseStatement(statementJson({ predicateType: undefined })), 'E_SIGNATURE_FORMAT', /predicateType/);
  });

  test('non-objects are rejected', () => {
    for (const input of [null, [], 'statement']) {
      expectAttestryError(() => parseStatement(input), 'E_SIGNATURE_FORMAT', /invalid in-toto statement/);
    }
  });
});

describe('Sigstore bundle v0.3', () => {
  const kp = generateKeyPair('ecdsa-p256');
  const envelope: DsseEnvelope = signEnvelope(INTOTO_PAYLOAD_TYPE, canonicalBytes(statementJson()), [createSigner(kp.privateKey)]);
  const hint = omsKeyHint(kp.publicKey);

  test('buildKeyBundle has the v0.3 media type, the key hint and no tlog entries', () => {
    const bundle = buildKeyBundle(envelope, hint);
    assert.equal(BUNDLE_V03_MEDIA_TYPE, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.equal(bundle.mediaType, BUNDLE_V03_MEDIA_TYPE);
    assert.deepEqual(bundle.verificationMaterial, { publicKey: { hint }, tlogEntries: [] });
    assert.deepEqual(bundle.dsseEnvelope, envelope);
  });

  test('build -> JSON -> parse round trip, and the envelope still verifies', () => {
    const bundle = buildKeyBundle(envelope, hint);
    const parsed = parseBundle(JSON.parse(JSON.stringify(bundle)) as unknown);
    assert.deepEqual(parsed, bundle);
    assert.equal(parsed.verificationMaterial.publicKey?.hint, hint);
    assert.doesNotThrow(() => verifyEnvelope(parsed.dsseEnvelope, [createVerifier(kp.publicKey)]));
  });

  test('accepts the older rawBytes + keyDetails public key form', () => {
    const rawBytes = publicKeyDer(kp.publicKey).toString('base64');
    const parsed = parseBundle({
      mediaType: BUNDLE_V03_MEDIA_TYPE,
      verificationMaterial: { publicKey: { rawBytes, keyDetails: 'PKIX_ECDSA_P256_SHA_256' } },
      dsseEnvelope: envelope,
    });
    assert.equal(parsed.verificationMaterial.publicKey?.rawBytes, rawBytes);
    assert.equal(parsed.verificationMaterial.publicKey?.keyDetails, 'PKIX_ECDSA_P256_SHA_256');
    assert.equal(parsed.verificationMaterial.publicKey?.hint, undefined);
  });

  test('accepts the other Sigstore bundle media type spellings', () => {
    for (const mediaType of [
      'application/vnd.dev.sigstore.bundle.v0.1+json',
      'application/vnd.dev.sigstore.bundle.v0.2+json',
      'application/vnd.dev.sigstore.bundle+json;version=0.1',
      'application/vnd.dev.sigstore.bundle+json;version=0.3',
    ]) {
      assert.equal(parseBundle({ ...buildKeyBundle(envelope, hint), mediaType }).mediaType, mediaType);
    }
  });

  test('normalises the keyId alias inside the embedded envelope', () => {
    const sig = envelope.signatures[0]!.sig;
    const parsed = parseBundle({
      ...buildKeyBundle(envelope, hint),
      dsseEnvelope: { ...envelope, signatures: [{ keyId: 'legacy', sig }] },
    });
    assert.deepEqual(parsed.dsseEnvelope.signatures, [{ keyid: 'legacy', sig }]);
  });

  test('rejects a wrong mediaType, naming the field', () => {
    for (const mediaType of [
      'application/json',
      'application/vnd.dev.sigstore.bundle.v0.4+json',
      'application/vnd.dev.sigstore.bundle.v0.3+json ',
      'application/vnd.in-toto+json',
      '',
    ]) {
      expectAttestryError(
        () => parseBundle({ ...buildKeyBundle(envelope, hint), mediaType }),
        'E_SIGNATURE_FORMAT',
        /invalid Sigstore bundle/,
        /mediaType: not a Sigstore bundle media type/,
      );
    }
    expectAttestryError(() => parseBundle({ ...buildKeyBundle(envelope, hint), mediaType: undefined }), 'E_SIGNATURE_FORMAT', /mediaType/);
  });

  test('rejects a bundle without verificationMaterial or with a broken envelope', () => {
    const { verificationMaterial: _vm, ...noMaterial } = buildKeyBundle(envelope, hint);
    void _vm;
    expectAttestryError(() => parseBundle(noMaterial), 'E_SIGNATURE_FORMAT', /verificationMaterial/);
    expectAttestryError(
      () => parseBundle({ ...buildKeyBundle(envelope, hint), dsseEnvelope: { ...envelope, signatures: [] } }),
      'E_SIGNATURE_FORMAT',
      /dsseEnvelope\.signatures/,
    );
    expectAttestryError(
      () => parseBundle({ ...buildKeyBundle(envelope, hint), dsseEnvelope: { ...envelope, payload: '%%%' } }),
      'E_SIGNATURE_FORMAT',
      /dsseEnvelope\.payload: not base64/,
    );
  });
});
