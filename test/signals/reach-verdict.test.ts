import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { canonicalBytes } from '../../src/core/canonical-json.js';
import { decodeBase64, signEnvelope, type DsseEnvelope } from '../../src/crypto/dsse.js';
import { INTOTO_PAYLOAD_TYPE } from '../../src/crypto/intoto.js';
import { createSigner } from '../../src/crypto/signer.js';
import { deriveReachability } from '../../src/signals/reach-derive.js';
import {
  evidenceDigestOf,
  parseReachabilityPredicate,
  parseVerdictEnvelope,
  signVerdict,
  verdictSubjects,
  verifyVerdictSignature,
} from '../../src/signals/reach-verdict.js';
import { REACHABILITY_PREDICATE_TYPE, type ReachabilityDerivation, type ReachabilityPredicate } from '../../src/signals/reach-types.js';
import { expectAttestryError } from '../core/helpers.js';
import { CALLGRAPH, citedBatches, noise, sha, STATIC } from './reach-pure-fixtures.js';

const hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

async function derivation(): Promise<ReachabilityDerivation> {
  const batches = await citedBatches(
    [
      { batchId: 'b-1', receivedAt: '2026-12-01T10:00:00Z', source: 'agent-a', facts: noise(2) },
      { batchId: 'b-2', receivedAt: '2026-12-01T11:00:00.5Z', source: 'agent-b', facts: [{ symbolId: 'lib.parse', hitCount: 3 }] },
    ],
    'lib.parse',
  );
  return deriveReachability({
    callgraph: CALLGRAPH,
    symbol: 'lib.parse',
    vulnerability: 'GO-2026-0001',
    static: STATIC.reachable,
    batches,
    window: { since: null, until: '2026-12-02T00:00:00Z' },
    thresholds: { minBatches: 1, minSources: 1 },
  });
}

async function predicate(): Promise<ReachabilityPredicate> {
  const d = await derivation();
  return {
    ...d,
    decidedAt: '2026-12-02T13:00:00.123Z',
    sequence: 2,
    previous: { attestationId: 'verdict-1', digest: sha('previous envelope') },
    evidenceDigest: evidenceDigestOf(d),
  };
}

const KEYS: [string, () => { privateKey: KeyObject; publicKey: KeyObject }][] = [
  ['Ed25519', () => generateKeyPairSync('ed25519')],
  ['ECDSA P-256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
];

for (const [name, generate] of KEYS) {
  test(`a verdict signed with ${name} parses back to the same predicate and verifies with that key only`, async () => {
    const { privateKey, publicKey } = generate();
    const p = await predicate();
    const { envelope, bytes } = signVerdict(p, createSigner(privateKey, 'signals-key'));
    assert.equal(envelope.payloadType, INTOTO_PAYLOAD_TYPE);
    assert.deepEqual(JSON.parse(bytes.toString('utf8')), envelope);
    const parsed = parseVerdictEnvelope(bytes);
    assert.deepEqual(parsed.predicate, p);
    assert.equal(parsed.statement._type, 'https://in-toto.io/Statement/v1');
    assert.equal(parsed.statement.predicateType, REACHABILITY_PREDICATE_TYPE);
    assert.deepEqual(parsed.subjects, [
      { name: 'callgraphs/acme/cg-0001.ndjson.zst', digest: { sha256: CALLGRAPH.contentDigest.slice(7) } },
      { name: 'lib.parse', digest: { sha256: hex('lib.parse') } },
    ]);
    // The payload is the RFC 8785 form of the statement: a verifier can re-create the exact bytes.
    assert.deepEqual(decodeBase64(envelope.payload), canonicalBytes(parsed.statement));
    assert.ok(verifyVerdictSignature(parsed.envelope, publicKey, 'signals-key').length > 0);
    const other = generate().publicKey;
    expectAttestryError(() => verifyVerdictSignature(parsed.envelope, other, 'other-key'), 'E_SIGNATURE_INVALID', /key other-key/);
  });
}

test('evidenceDigest: sha256 of the RFC 8785 derivation; predicate, answer and derivation digest alike', async () => {
  const d = await derivation();
  assert.equal(evidenceDigestOf(d), `sha256:${createHash('sha256').update(canonicalBytes(d)).digest('hex')}`);
  const p = await predicate();
  assert.equal(evidenceDigestOf(p), evidenceDigestOf(d), 'chain fields are not evidence');
  const answer = { ...d, path: d.static.path, decidedAt: '2026-12-02T00:00:00Z', attestationId: 'x', created: true };
  assert.equal(evidenceDigestOf(answer), evidenceDigestOf(d));
  const withExtra = { ...d, static: { ...d.static, distance: 2 } };
  assert.equal(evidenceDigestOf(withExtra), evidenceDigestOf(d), 'fields outside the predicate schema do not count');
  const oneMoreHit = { ...d, runtime: { ...d.runtime, hitCount: d.runtime.hitCount + 1 } };
  assert.notEqual(evidenceDigestOf(oneMoreHit), evidenceDigestOf(d));
  assert.notEqual(evidenceDigestOf({ ...d, window: { since: null, until: null } }), evidenceDigestOf(d));
});

test('signVerdict refuses a predicate whose evidenceDigest is not its derivation’s', async () => {
  const p = await predicate();
  const signer = createSigner(generateKeyPairSync('ed25519').privateKey, 'k');
  expectAttestryError(() => signVerdict({ ...p, evidenceDigest: sha('other') }, signer), 'E_INTERNAL', /evidenceDigest/);
});

/** An envelope signed over an arbitrary statement (what an attacker or a buggy server could send). */
function envelopeOf(statement: unknown, signer = createSigner(generateKeyPairSync('ed25519').privateKey, 'k')): Buffer {
  return Buffer.from(JSON.stringify(signEnvelope(INTOTO_PAYLOAD_TYPE, canonicalBytes(statement), [signer])));
}

test('subjects that are not the predicate’s callgraph blob and symbol are refused', async () => {
  const p = await predicate();
  const subjects = verdictSubjects(p);
  const statement = (subject: unknown) => ({
    _type: 'https://in-toto.io/Statement/v1',
    subject,
    predicateType: REACHABILITY_PREDICATE_TYPE,
    predicate: p,
  });
  const otherBlob = [{ ...subjects[0], digest: { sha256: 'f'.repeat(64) } }, subjects[1]];
  expectAttestryError(() => parseVerdictEnvelope(envelopeOf(statement(otherBlob))), 'E_SIGNATURE_FORMAT', /subjects/);
  expectAttestryError(() => parseVerdictEnvelope(envelopeOf(statement([subjects[0]]))), 'E_SIGNATURE_FORMAT', /subjects/);
  expectAttestryError(() => parseVerdictEnvelope(envelopeOf(statement([subjects[1], subjects[0]]))), 'E_SIGNATURE_FORMAT', /subjects/);
  const extra = [subjects[0], { ...subjects[1], digest: { sha256: hex('lib.parse'), sha512: 'ab' } }];
  expectAttestryError(() => parseVerdictEnvelope(envelopeOf(statement(extra))), 'E_SIGNATURE_FORMAT', /subjects/);
  assert.equal(parseVerdictEnvelope(envelopeOf(statement(subjects))).predicate.symbol, 'lib.parse');
});

function tamper(bytes: Buffer, edit: (statement: { subject: unknown; predicate: Record<string, unknown> }) => void): Buffer {
  const env = JSON.parse(bytes.toString('utf8')) as DsseEnvelope;
  const statement = JSON.parse(decodeBase64(env.payload).toString('utf8')) as { subject: unknown; predicate: Record<string, unknown> };
  edit(statement);
  return Buffer.from(JSON.stringify({ ...env, payload: Buffer.from(JSON.stringify(statement)).toString('base64') }));
}

test('a tampered predicate is refused: by its subjects, or by the signature', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const { bytes } = signVerdict(await predicate(), createSigner(privateKey, 'k'));
  // Another symbol: the subjects no longer match.
  expectAttestryError(
    () => parseVerdictEnvelope(tamper(bytes, (s) => (s.predicate['symbol'] = 'lib.other'))),
    'E_SIGNATURE_FORMAT',
    /subjects/,
  );
  // Another state: the shape is fine, the signature is not.
  const flipped = parseVerdictEnvelope(tamper(bytes, (s) => (s.predicate['state'] = 'ConfirmedUnreachable')));
  assert.equal(flipped.predicate.state, 'ConfirmedUnreachable');
  expectAttestryError(() => verifyVerdictSignature(flipped.envelope, publicKey, 'k'), 'E_SIGNATURE_INVALID');
  // Not a state at all: refused by the schema, naming the field.
  expectAttestryError(() => parseVerdictEnvelope(tamper(bytes, (s) => (s.predicate['state'] = 'Maybe'))), 'E_SIGNATURE_FORMAT', /state/);
});

test('payloadType, predicateType and every predicate field are checked; the error code is the caller’s', async () => {
  const p = await predicate();
  const signer = createSigner(generateKeyPairSync('ed25519').privateKey, 'k');
  const good = signVerdict(p, signer).envelope;
  const other = Buffer.from(JSON.stringify({ ...good, payloadType: 'application/json' }));
  expectAttestryError(() => parseVerdictEnvelope(other), 'E_SIGNATURE_FORMAT', /payloadType is application\/json/);
  expectAttestryError(() => parseVerdictEnvelope(other, 'E_INVALID_INPUT'), 'E_INVALID_INPUT', /payloadType/);
  const wrongType = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: verdictSubjects(p),
    predicateType: 'https://example.com/x',
    predicate: p,
  };
  expectAttestryError(() => parseVerdictEnvelope(envelopeOf(wrongType)), 'E_SIGNATURE_FORMAT', /predicateType is https:\/\/example.com\/x/);
  expectAttestryError(() => parseVerdictEnvelope(Buffer.from('not json')), 'E_SIGNATURE_FORMAT');
  expectAttestryError(() => parseVerdictEnvelope(Buffer.from('{}'), 'E_INVALID_INPUT'), 'E_INVALID_INPUT');

  const broken: [string, (q: Record<string, unknown>) => void, RegExp][] = [
    ['no decidedAt', (q) => delete q['decidedAt'], /decidedAt/],
    ['decidedAt not an instant', (q) => (q['decidedAt'] = '2026-12-02'), /decidedAt/],
    ['sequence 0', (q) => (q['sequence'] = 0), /sequence/],
    ['previous digest not sha256', (q) => (q['previous'] = { attestationId: 'v', digest: 'md5:00' }), /previous\.digest/],
    ['evidenceDigest upper-case', (q) => (q['evidenceDigest'] = p.evidenceDigest.toUpperCase()), /evidenceDigest/],
    ['unknown edge class', (q) => (q['static'] = { ...p.static, uncertainEdges: ['psychic'] }), /static\.uncertainEdges\.0/],
    ['negative hitCount', (q) => (q['runtime'] = { ...p.runtime, hitCount: -1 }), /runtime\.hitCount/],
    [
      'batch receivedAt not an instant',
      (q) => (q['evidence'] = { ...p.evidence, batches: [{ ...p.evidence.batches[0], receivedAt: 'later' }] }),
      /evidence\.batches\.0\.receivedAt/,
    ],
    [
      'callgraph without contentDigest',
      (q) => (q['evidence'] = { ...p.evidence, callgraph: { ...CALLGRAPH, contentDigest: undefined } }),
      /contentDigest/,
    ],
    ['window missing', (q) => delete q['window'], /window/],
    ['minSources fractional', (q) => (q['thresholds'] = { minBatches: 1, minSources: 0.5 }), /thresholds\.minSources/],
  ];
  for (const [what, edit, field] of broken) {
    const q: Record<string, unknown> = JSON.parse(JSON.stringify(p)) as Record<string, unknown>;
    edit(q);
    const e = expectAttestryError(() => parseReachabilityPredicate(q), 'E_SIGNATURE_FORMAT', field);
    assert.ok(e.message.startsWith('invalid reachability verdict predicate'), what);
  }
});

test('bounded arrays: a path or batch list over 100,000 entries is refused', async () => {
  const p = await predicate();
  const long = Array.from({ length: 100_001 }, (_, i) => `s${i}`);
  expectAttestryError(
    () => parseReachabilityPredicate({ ...p, static: { ...p.static, path: long } }),
    'E_SIGNATURE_FORMAT',
    /static\.path: at most 100000/,
  );
  const batch = p.evidence.batches[0]!;
  const many = Array.from({ length: 100_001 }, () => batch);
  expectAttestryError(
    () => parseReachabilityPredicate({ ...p, evidence: { ...p.evidence, batches: many } }),
    'E_SIGNATURE_FORMAT',
    /evidence\.batches: at most 100000/,
  );
  const atLimit = { ...p, static: { ...p.static, path: long.slice(1) } };
  assert.equal(parseReachabilityPredicate(atLimit).static.path.length, 100_000);
});
