import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { createSigner } from '../../src/crypto/signer.js';
import { parseEvidence } from '../../src/evidence/classify.js';
import { contentHandler, EVIDENCE_FORMATS, parseUpload } from '../../src/evidence/formats/index.js';
import { signedStatement, PREDICATE_FOR_KIND } from '../helpers/server.js';

const signer = createSigner(generateKeyPair('ed25519').privateKey, 'k1');
const envelope = signedStatement(signer, 'ab'.repeat(32), PREDICATE_FOR_KIND['model-signatures']);
const body = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

test('each upload shape is read by its format, the envelope format last', () => {
  assert.deepEqual(
    EVIDENCE_FORMATS.map((f) => f.name),
    ['sigstore-bundle-message', 'sigstore-bundle-dsse', 'dsse-envelope'],
  );
  const bare = parseEvidence(body(envelope));
  assert.equal(bare.format, 'dsse-envelope');
  assert.equal(bare.kind, 'model-signatures');
  assert.deepEqual(bare.subjects, [{ digest: `sha256:${'ab'.repeat(32)}`, name: 'artifact' }]);
  const bundled = parseEvidence(
    body({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: { hint: 'h' } },
      dsseEnvelope: envelope,
    }),
  );
  assert.equal(bundled.format, 'sigstore-bundle-dsse');
  assert.equal(bundled.keyHint, 'h');
  const messageBundle = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {},
    messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: Buffer.alloc(32, 7).toString('base64') }, signature: 'MEUC' },
  };
  assert.equal(parseUpload(body(messageBundle)).format, 'sigstore-bundle-message');
  assert.equal(parseEvidence(body(messageBundle)).kind, 'message-signatures');
});

test('the content handler gives what an exported bundle carries', () => {
  const parsed = parseEvidence(body(envelope));
  assert.deepEqual(contentHandler(parsed.content).loggedContent(parsed.content), { envelope });
  const content = { type: 'message', algorithm: 'SHA2_256', digest: 'ZGln', signature: 'c2ln' } as const;
  assert.deepEqual(contentHandler(content).loggedContent(content), {
    messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: 'ZGln' }, signature: 'c2ln' },
  });
  assert.deepEqual(contentHandler(content).loggedSignature(content, Buffer.alloc(0)), Buffer.from('sig'));
});

test('a body that is not a JSON object keeps its message', () => {
  assert.throws(
    () => parseEvidence(body([1])),
    (e: Error & { code?: string }) =>
      e.code === 'E_INVALID_INPUT' && /must be a JSON object: a DSSE envelope or a Sigstore bundle/.test(e.message),
  );
});
