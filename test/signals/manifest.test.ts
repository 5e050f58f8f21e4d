/** Callgraph manifest signing and verification (seed 000 §4, §7.1; §10 rule 7), as the offline verifier uses them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalize } from '../../src/core/canonical-json.js';
import { AttestryError } from '../../src/core/errors.js';
import { decodeBase64, verifyEnvelope } from '../../src/crypto/dsse.js';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { createSigner, createVerifier } from '../../src/crypto/signer.js';
import {
  envelopeMatchesManifest,
  manifestEnvelope,
  manifestFileBytes,
  parseManifest,
  parseManifestBytes,
  signManifest,
  unsignedManifest,
  verifyManifestSignature,
  type ManifestFields,
} from '../../src/signals/manifest.js';
import { CALLGRAPH_MANIFEST_PAYLOAD_TYPE } from '../../src/signals/types.js';

const FIELDS: ManifestFields = {
  graphId: '01HWXYZ123456789ABCDEFGHJK',
  digest: `sha256:${'7d'.repeat(32)}`,
  language: 'javascript',
  source: 'stella-callgraph-node',
  createdAt: '2025-12-19T10:00:00.000Z',
  tenantId: 'tenant-001',
  componentPurl: 'pkg:npm/%40acme/backend@1.2.3',
  entryPoints: ['src/index.js', 'src/server.js'],
  nodeCount: 1523,
  edgeCount: 4892,
};

for (const algorithm of ['ecdsa-p256', 'ed25519'] as const) {
  describe(`callgraph manifests signed with ${algorithm}`, () => {
    const pair = generateKeyPair(algorithm);
    const signer = createSigner(pair.privateKey, 'signals-signer-2025-001');
    const { manifest, envelope } = signManifest(FIELDS, signer, 'signals-signer-2025-001');

    it('signs the RFC 8785 JSON of the manifest without signature, rekorUuid and skipReason', () => {
      assert.equal(envelope.payloadType, CALLGRAPH_MANIFEST_PAYLOAD_TYPE);
      assert.equal(decodeBase64(envelope.payload).toString('utf8'), canonicalize({ ...FIELDS, signerKeyId: 'signals-signer-2025-001' }));
      assert.equal(envelope.signatures[0]?.sig, manifest.signature);
      assert.deepEqual(verifyEnvelope(envelope, [createVerifier(pair.publicKey, 'signals-signer-2025-001')]).verifiedKeyIds, [
        'signals-signer-2025-001',
      ]);
      assert.ok(verifyManifestSignature(manifest, pair.publicKey));
      // The log entry id added later does not change what was signed.
      assert.ok(verifyManifestSignature({ ...manifest, rekorUuid: 'ab'.repeat(32) }, pair.publicKey));
      assert.deepEqual(manifestEnvelope(manifest), envelope, 'the envelope is rebuilt byte for byte from the manifest');
      assert.ok(envelopeMatchesManifest(envelope, manifest));
    });

    it('a changed field, another key, a bad or missing signature do not verify', () => {
      assert.equal(verifyManifestSignature({ ...manifest, nodeCount: 1524 }, pair.publicKey), false);
      assert.equal(verifyManifestSignature({ ...manifest, signerKeyId: 'other' }, pair.publicKey), false);
      assert.equal(verifyManifestSignature(manifest, generateKeyPair(algorithm).publicKey), false);
      assert.equal(verifyManifestSignature({ ...manifest, signature: 'not base64!' }, pair.publicKey), false);
      assert.equal(verifyManifestSignature({ ...manifest, signature: null }, pair.publicKey), false);
      assert.equal(envelopeMatchesManifest(envelope, { ...manifest, edgeCount: 1 }), false);
    });

    it('the stored file omits the log fields and reads back as the same manifest', () => {
      const file = manifestFileBytes({ ...manifest, rekorUuid: 'ab'.repeat(32), skipReason: 'x' });
      assert.equal('rekorUuid' in JSON.parse(file.toString('utf8')), false);
      assert.deepEqual(parseManifestBytes(file), manifest);
    });
  });
}

describe('manifest parsing', () => {
  it('keeps the §4.2 field order and refuses unknown or malformed fields', () => {
    const unsigned = unsignedManifest(FIELDS, 'Signals.Provenance.SignManifests is false: callgraph manifests are not signed');
    const parsed = parseManifest(JSON.parse(JSON.stringify(unsigned)));
    assert.deepEqual(Object.keys(parsed), [...Object.keys(FIELDS), 'signerKeyId', 'signature', 'rekorUuid', 'skipReason']);
    assert.throws(
      () => parseManifest({ ...unsigned, extra: 1 }),
      (e: unknown) => e instanceof AttestryError && e.code === 'E_INVALID_INPUT',
    );
    assert.throws(
      () => parseManifest({ ...unsigned, digest: 'sha256:xyz' }, 'm', 'E_INTEGRITY'),
      (e: unknown) => e instanceof AttestryError && e.code === 'E_INTEGRITY',
    );
    assert.throws(
      () => manifestEnvelope(unsigned),
      (e: unknown) => e instanceof AttestryError && e.code === 'E_NOT_FOUND' && /unsigned/.test(e.message),
    );
  });
});
