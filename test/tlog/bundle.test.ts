/**
 * A log bundle built end to end in memory (no database): a DSSE envelope is
 * signed, its Rekor v2 `dsse` entry appended among other leaves, an inclusion
 * proof read back from the tiles, a checkpoint signed, and the Sigstore bundle
 * assembled. It must verify with verifyLogBundle and with the independent
 * @sigstore/verify, and every tampering must fail in both.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, type KeyObject } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, VerificationError, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { AttestryError, type ErrorCode } from '../../src/core/errors.js';
import { signEnvelope, type DsseEnvelope } from '../../src/crypto/dsse.js';
import { generateKeyPair, keyFingerprint, publicKeyDer, type NodeKeyAlgorithm } from '../../src/crypto/keys.js';
import { createSigner } from '../../src/crypto/signer.js';
import { appendLeaves, edgeKeys } from '../../src/tlog/append.js';
import { buildLogBundle, logIdOf, trustedRootFor, verifyLogBundle } from '../../src/tlog/bundle.js';
import { signCheckpoint } from '../../src/tlog/checkpoint.js';
import { DSSE_ENTRY_KIND, DSSE_ENTRY_VERSION, dsseEntryBody, parseDsseEntryBody, signatureBy } from '../../src/tlog/entry.js';
import { leafHash } from '../../src/tlog/hash.js';
import { inclusionProof } from '../../src/tlog/merkle.js';
import { NoteSigner, SIG_COSIGNATURE_V1, formatNote, formatVerifierKey, parseNote, parseVerifierKey } from '../../src/tlog/note.js';
import { tileKeyString, withTiles } from '../../src/tlog/tiles.js';
import { expectAttestryError } from '../core/helpers.js';

const ORIGIN = 'test.example/log';
const HINT = 'test-signer-key';
const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const logSigner = new NoteSigner(ORIGIN, generateKeyPair('ed25519').privateKey);
const logKey = parseVerifierKey(logSigner.verifierKey);

interface Scenario {
  readonly name: string;
  readonly json: Record<string, unknown>;
  readonly signerPublicKey: KeyObject;
  readonly envelope: DsseEnvelope;
  readonly body: Buffer;
  readonly index: number;
  readonly size: number;
  readonly root: Buffer;
  /** The audit path length, worked out by hand from PATH(index, D[size]). */
  readonly pathLength: number;
}

/** Batch sizes from a small LCG, so every run appends the same way. */
function* batches(seed: number): Generator<number> {
  let x = seed;
  for (;;) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    yield 1 + (x % 300);
  }
}

async function buildScenario(algorithm: NodeKeyAlgorithm, index: number, size: number, pathLength: number): Promise<Scenario> {
  const signer = generateKeyPair(algorithm);
  const payload = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'model', digest: { sha256: 'ab'.repeat(32) } }],
      predicateType: 'https://example.com/test/v1',
      predicate: { algorithm, index },
    }),
  );
  const envelope = signEnvelope(PAYLOAD_TYPE, payload, [createSigner(signer.privateKey, HINT)]);
  const body = dsseEntryBody(envelope, signatureBy(envelope, signer.publicKey), signer.publicKey);

  // The entry among random other leaves, appended from an empty log in uneven batches.
  const leaves = Array.from({ length: size }, (_, i) => (i === index ? leafHash(body) : leafHash(randomBytes(48))));
  const tiles = new Map<string, Buffer>();
  let current = 0;
  let root: Buffer = Buffer.alloc(0);
  const sizes = batches(size + index);
  while (current < size) {
    const b = Math.min(size - current, sizes.next().value as number);
    const edge = new Map(edgeKeys(current).map((k) => [tileKeyString(k), tiles.get(tileKeyString(k)) as Buffer]));
    const result = appendLeaves(current, edge, leaves.slice(current, current + b));
    for (const t of result.tiles) tiles.set(tileKeyString(t.key), t.hashes);
    current = result.size;
    root = result.root;
  }
  const hashes = await withTiles(
    (node) => inclusionProof(index, size, node),
    async (needs) => new Map(needs.map(({ key }) => [tileKeyString(key), tiles.get(tileKeyString(key)) as Buffer])),
  );
  const checkpoint = signCheckpoint(logSigner, size, root);
  const json = buildLogBundle({
    envelope,
    hint: HINT,
    logIndex: index,
    body,
    proof: { index, treeSize: size, rootHash: root, hashes: hashes.map((h) => Buffer.from(h)) },
    checkpoint,
    logKey: logSigner.publicKey,
  });
  return {
    name: `${algorithm} signer, leaf ${index} of ${size}`,
    json,
    signerPublicKey: signer.publicKey,
    envelope,
    body,
    index,
    size,
    root,
    pathLength,
  };
}

/** @sigstore/verify with a trusted root naming only this log, and the signer key found by its hint. */
function sigstoreVerify(json: unknown, signerPublicKey: KeyObject, logPublicKey: KeyObject = logSigner.publicKey): KeyObject {
  const root = TrustedRoot.fromJSON(trustedRootFor(logPublicKey, ORIGIN, new Date(0)));
  const trust = toTrustMaterial(root, (hint) => {
    assert.equal(hint, HINT);
    return { publicKey: signerPublicKey, validFor: () => true };
  });
  return new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 0 }).verify(toSignedEntity(bundleFromJSON(json)))
    .key;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON tree edited in place
type Bundle = Record<string, any>; // a JSON tree, edited in place by the tamper cases
const entryOf = (b: Bundle): Bundle => b['verificationMaterial']['tlogEntries'][0];

function flipB64(value: string, at: number): string {
  const bytes = Buffer.from(value, 'base64');
  const i = ((at % bytes.length) + bytes.length) % bytes.length;
  bytes[i] = (bytes[i] as number) ^ 0x01;
  return bytes.toString('base64');
}

/** Each tampering, with the error verifyLogBundle must give. */
const TAMPERING: { what: string; code: ErrorCode; message: RegExp; apply: (b: Bundle, s: Scenario) => void; needsProofHashes?: boolean }[] =
  [
    {
      what: 'a payload byte',
      code: 'E_DIGEST_MISMATCH',
      message: /the envelope payload is not the one the log entry records/,
      apply: (b) => (b['dsseEnvelope'].payload = flipB64(b['dsseEnvelope'].payload, 20)),
    },
    {
      what: 'a signature byte',
      code: 'E_SIGNATURE_INVALID',
      message: /no envelope signature is the one the log entry records/,
      apply: (b) => (b['dsseEnvelope'].signatures[0].sig = flipB64(b['dsseEnvelope'].signatures[0].sig, -3)),
    },
    {
      what: 'a proof hash',
      code: 'E_SIGNATURE_INVALID',
      message: /inclusion proof for index \d+ does not lead to the root hash/,
      apply: (b) => (entryOf(b)['inclusionProof'].hashes[0] = flipB64(entryOf(b)['inclusionProof'].hashes[0], 7)),
      needsProofHashes: true,
    },
    {
      what: 'the checkpoint signature',
      code: 'E_SIGNATURE_INVALID',
      message: /the signature by test\.example\/log\+[0-9a-f]{8} does not verify/,
      apply: (b) => {
        const cp: string = entryOf(b)['inclusionProof'].checkpoint.envelope;
        const at = cp.lastIndexOf(' ') + 1;
        entryOf(b)['inclusionProof'].checkpoint.envelope = `${cp.slice(0, at)}${flipB64(cp.slice(at, -1), 30)}\n`;
      },
    },
    {
      what: 'a canonicalized body byte',
      code: 'E_SIGNATURE_INVALID',
      message: /does not lead to the root hash/,
      apply: (b) => (entryOf(b)['canonicalizedBody'] = flipB64(entryOf(b)['canonicalizedBody'], 40)),
    },
    {
      what: 'the logIndex (entry and inclusion proof)',
      code: 'E_SIGNATURE_INVALID',
      message: /inclusion proof/,
      apply: (b, s) => {
        const other = String(s.index > 0 && s.index === s.size - 1 ? s.index - 1 : s.index + 1);
        entryOf(b)['logIndex'] = other;
        entryOf(b)['inclusionProof'].logIndex = other;
      },
    },
  ];

describe('log bundles, end to end in memory', async () => {
  const scenarios = await Promise.all([
    // 1 leaf: no path. 700 of 1000: right of 512, left in the perfect [512, 768): 2 + 8.
    // 999 of 1000: right of 512, 256, 128, 64, 32, then 3 inside [992, 1000). 256 of 300: 1 + 1 + 5.
    buildScenario('ed25519', 0, 1, 0),
    buildScenario('ed25519', 700, 1000, 10),
    buildScenario('ecdsa-p256', 999, 1000, 8),
    buildScenario('ecdsa-p256', 256, 300, 7),
  ]);

  for (const s of scenarios) {
    describe(s.name, () => {
      test('the bundle has the Sigstore v0.3 shape and the Rekor v2 dsse entry', () => {
        const entry = entryOf(s.json);
        assert.equal(s.json['mediaType'], 'application/vnd.dev.sigstore.bundle.v0.3+json');
        assert.deepEqual(entry['kindVersion'], { kind: DSSE_ENTRY_KIND, version: DSSE_ENTRY_VERSION });
        assert.equal(entry['logIndex'], String(s.index));
        assert.equal(entry['logId'].keyId, logIdOf(logSigner.publicKey).toString('base64'));
        assert.equal(entry['inclusionProof'].treeSize, String(s.size));
        assert.equal(entry['inclusionProof'].rootHash, s.root.toString('base64'));
        assert.equal(entry['inclusionProof'].hashes.length, s.pathLength);
        assert.equal(Buffer.from(entry['canonicalizedBody'], 'base64').toString('hex'), s.body.toString('hex'));
        const logged = parseDsseEntryBody(s.body);
        assert.equal(logged.signatures.length, 1);
        assert.ok(publicKeyDer(logged.signatures[0]?.publicKey as KeyObject).equals(publicKeyDer(s.signerPublicKey)));
      });

      test('verifyLogBundle passes and reports index, size and signer', () => {
        const result = verifyLogBundle(s.json, { logKey });
        assert.equal(result.logIndex, s.index);
        assert.equal(result.treeSize, s.size);
        assert.equal(result.origin, ORIGIN);
        assert.equal(result.signer, keyFingerprint(s.signerPublicKey));
        assert.equal(result.payloadType, PAYLOAD_TYPE);
        assert.deepEqual(result.cosigners, []);
        assert.equal(verifyLogBundle(s.json, { logKey, signerKey: s.signerPublicKey }).signer, keyFingerprint(s.signerPublicKey));
      });

      test('@sigstore/verify accepts it with the log’s trusted root', () => {
        const key = sigstoreVerify(s.json, s.signerPublicKey);
        assert.ok(publicKeyDer(key).equals(publicKeyDer(s.signerPublicKey)));
      });

      for (const t of TAMPERING) {
        if (t.needsProofHashes === true && s.size === 1) continue;
        test(`tampering with ${t.what} fails in both verifiers`, () => {
          const tampered = structuredClone(s.json) as Bundle;
          t.apply(tampered, s);
          assert.notDeepEqual(tampered, s.json);
          expectAttestryError(() => verifyLogBundle(tampered, { logKey }), t.code, t.message);
          assert.throws(() => sigstoreVerify(tampered, s.signerPublicKey), VerificationError);
        });
      }

      test('another signer key: E_KEY_MISMATCH', () => {
        const other = generateKeyPair('ed25519').publicKey;
        expectAttestryError(
          () => verifyLogBundle(s.json, { logKey, signerKey: other }),
          'E_KEY_MISMATCH',
          /the envelope was signed by sha256:[0-9a-f]{64}, not by the given key sha256:/,
        );
        assert.throws(() => sigstoreVerify(s.json, other), VerificationError);
      });

      test('another log key: rejected by both', () => {
        const otherLog = new NoteSigner(ORIGIN, generateKeyPair('ed25519').privateKey);
        expectAttestryError(
          () => verifyLogBundle(s.json, { logKey: parseVerifierKey(otherLog.verifierKey) }),
          'E_SIGNATURE_INVALID',
          /no signature by a known key/,
        );
        assert.throws(() => sigstoreVerify(s.json, s.signerPublicKey, otherLog.publicKey), VerificationError);
      });
    });
  }

  test('a witness-cosigned checkpoint: cosigners reported, quorum enforced, @sigstore/verify still accepts', () => {
    const s = scenarios[1] as Scenario;
    const witness = new NoteSigner('witness.example/w1', generateKeyPair('ed25519').privateKey);
    const witnessKey = parseVerifierKey(formatVerifierKey(witness.name, witness.publicKey, SIG_COSIGNATURE_V1));
    const cosigned = structuredClone(s.json) as Bundle;
    const note = parseNote(entryOf(cosigned)['inclusionProof'].checkpoint.envelope);
    entryOf(cosigned)['inclusionProof'].checkpoint.envelope = formatNote({
      text: note.text,
      signatures: [...note.signatures, witness.cosign(note.text, 1_700_000_000)],
    });
    const result = verifyLogBundle(cosigned, { logKey, witnesses: [witnessKey], minCosigners: 1 });
    assert.deepEqual(result.cosigners, [{ name: witness.name, timestamp: 1_700_000_000 }]);
    expectAttestryError(
      () => verifyLogBundle(s.json, { logKey, witnesses: [witnessKey], minCosigners: 1 }),
      'E_SIGNATURE_INVALID',
      /0 valid witness cosignature\(s\), 1 required/,
    );
    sigstoreVerify(cosigned, s.signerPublicKey);
  });

  test('verifyLogBundle: the entry logIndex must be the inclusion proof’s', () => {
    const s = scenarios[1] as Scenario;
    const tampered = structuredClone(s.json) as Bundle;
    entryOf(tampered)['logIndex'] = String(s.index + 1);
    expectAttestryError(
      () => verifyLogBundle(tampered, { logKey }),
      'E_SIGNATURE_INVALID',
      /logIndex 701 differs from the inclusion proof's 700/,
    );
  });

  test('verifyLogBundle: the proof’s tree size and root must be the checkpoint’s', () => {
    const s = scenarios[1] as Scenario;
    const size = structuredClone(s.json) as Bundle;
    entryOf(size)['inclusionProof'].treeSize = String(s.size + 1);
    expectAttestryError(
      () => verifyLogBundle(size, { logKey }),
      'E_SIGNATURE_INVALID',
      /inclusion proof is for tree size 1001, the checkpoint for 1000/,
    );
    const root = structuredClone(s.json) as Bundle;
    entryOf(root)['inclusionProof'].rootHash = flipB64(entryOf(root)['inclusionProof'].rootHash, 0);
    expectAttestryError(() => verifyLogBundle(root, { logKey }), 'E_SIGNATURE_INVALID', /root hash differs from the checkpoint root hash/);
  });

  test('verifyLogBundle: malformed bundles are E_SIGNATURE_FORMAT, not crashes', () => {
    const s = scenarios[1] as Scenario;
    const cases: ((b: Bundle) => void)[] = [
      (b) => (b['verificationMaterial']['tlogEntries'] = []),
      (b) => (entryOf(b)['logIndex'] = '-1'),
      (b) => (entryOf(b)['logIndex'] = '0700'),
      (b) => (entryOf(b)['inclusionProof'].hashes = 'x'),
      (b) => (entryOf(b)['kindVersion'] = { kind: 'hashedrekord', version: '0.0.2' }),
      (b) => (entryOf(b)['canonicalizedBody'] = Buffer.from('{"not":"an entry"}').toString('base64')),
      (b) => delete b['dsseEnvelope'],
    ];
    for (const [i, mutate] of cases.entries()) {
      const b = structuredClone(s.json) as Bundle;
      mutate(b);
      let caught: unknown;
      try {
        verifyLogBundle(b, { logKey });
      } catch (e) {
        caught = e;
      }
      assert.ok(caught instanceof AttestryError, `case ${i}: ${String(caught)}`);
      // A body that is not an entry fails the inclusion check first (its leaf hash is not in the tree).
      assert.ok(
        caught.code === 'E_SIGNATURE_FORMAT' || (i === 5 && caught.code === 'E_SIGNATURE_INVALID'),
        `case ${i}: ${caught.code} ${caught.message}`,
      );
    }
  });
});
