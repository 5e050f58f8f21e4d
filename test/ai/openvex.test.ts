/**
 * Published AI VEX (issue 17): the OpenVEX 0.2.0 document of each status is
 * valid against the vendored OpenVEX schema; the strict parser holds the
 * spec's status rules; the in-toto statement names the product and the
 * document by digest, and parseVexAttestation refuses what does not fit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { buildAiOpenVex, parseAiOpenVex, type AiOpenVexInput } from '../../src/ai/openvex.js';
import { buildVexStatement, parseVexAttestation, signVexAttestation, vexDocumentDigest } from '../../src/ai/vex-attestation.js';
import {
  AI_VEX_ID_PREFIX,
  OPENVEX_CONTEXT,
  OPENVEX_PREDICATE_TYPE,
  SYMBOL_URN_PREFIX,
  VEX_STATUSES,
  type VexClaim,
} from '../../src/ai/vex-types.js';
import { canonicalBytes } from '../../src/core/canonical-json.js';
import { sha256Digest } from '../../src/core/digest.js';
import { decodeBase64, verifyEnvelope } from '../../src/crypto/dsse.js';
import { INTOTO_PAYLOAD_TYPE, STATEMENT_TYPE_V1 } from '../../src/crypto/intoto.js';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { createSigner, createVerifier } from '../../src/crypto/signer.js';
import { expectAttestryError } from '../core/helpers.js';
import { assertOpenVex, isOpenVex } from '../helpers/openvex-schema.js';

const ARTIFACT = 'ai-artifact-20261201-01KB0000000000000000000000';
const CLAIM: VexClaim = {
  vulnerability: 'CVE-2026-0001',
  productPurl: 'pkg:npm/left-pad@1.3.0',
  symbol: 'left-pad:leftPad',
  status: 'not_affected',
  justification: 'vulnerable_code_not_in_execute_path',
  source: 'output',
  text: 'No call path from an entry point reaches leftPad.',
};
const input = (claim: Partial<VexClaim> = {}, more: Partial<AiOpenVexInput> = {}): AiOpenVexInput => ({
  claim: { ...CLAIM, ...claim },
  tenant: 'acme corp',
  artifactId: ARTIFACT,
  author: 'https://attestry.example/acme',
  timestamp: '2026-12-02T10:00:00.000Z',
  approvedBy: ['tok-alice', 'tok-bob'],
  modelId: 'tiny-model',
  ...more,
});
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
type Mutable = Record<string, unknown> & { statements: Record<string, unknown>[] };

test('every status gives a schema-valid document with the fields its status requires', () => {
  for (const status of VEX_STATUSES) {
    for (const text of ['The model says so.', '']) {
      const doc = buildAiOpenVex(input({ status, text, justification: status === 'not_affected' ? CLAIM.justification : null }));
      assertOpenVex(doc);
      const s = doc.statements[0];
      assert.ok(s !== undefined);
      assert.equal(s.status, status);
      assert.equal(s.impact_statement !== undefined, status === 'not_affected', `${status}: impact_statement`);
      assert.equal(s.action_statement !== undefined, status === 'affected', `${status}: action_statement`);
      assert.equal(s.justification !== undefined, status === 'not_affected', `${status}: justification`);
      if (text !== '') assert.equal(s.impact_statement ?? s.action_statement ?? text, text);
    }
  }
  const affected = buildAiOpenVex(input({ status: 'affected', text: '', justification: null })).statements[0];
  assert.match(affected?.action_statement ?? '', /^Upgrade pkg:npm\/left-pad@1\.3\.0 .*CVE-2026-0001.*vendor's fix/);
});

test('the document: context, id, author, version, tooling, product and symbol subcomponent', () => {
  const doc = buildAiOpenVex(input());
  assert.equal(doc['@context'], OPENVEX_CONTEXT);
  assert.equal(doc['@id'], `${AI_VEX_ID_PREFIX}acme%20corp/${ARTIFACT}`);
  assert.equal(doc.author, 'https://attestry.example/acme');
  assert.equal(doc.version, 1);
  assert.equal(doc.tooling, 'attestry');
  assert.equal(doc.timestamp, '2026-12-02T10:00:00.000Z');
  const s = doc.statements[0];
  assert.deepEqual(s?.vulnerability, { name: 'CVE-2026-0001' });
  assert.deepEqual(s?.products, [{ '@id': CLAIM.productPurl, subcomponents: [{ '@id': `${SYMBOL_URN_PREFIX}left-pad%3AleftPad` }] }]);
  assert.equal(s?.status_notes, `From AI artifact ${ARTIFACT} (vex_draft by model tiny-model); approved by tok-alice, tok-bob.`);
  // No symbol: no subcomponents key at all, rather than an empty list.
  const bare = buildAiOpenVex(input({ symbol: null }));
  assert.deepEqual(bare.statements[0]?.products, [{ '@id': CLAIM.productPurl }]);
  assertOpenVex(bare);
});

test('a not_affected claim without a justification still carries an impact statement', () => {
  const doc = buildAiOpenVex(input({ justification: null, text: '' }));
  assertOpenVex(doc);
  assert.equal(doc.statements[0]?.justification, undefined);
  assert.match(doc.statements[0]?.impact_statement ?? '', /CVE-2026-0001 does not affect pkg:npm\/left-pad@1\.3\.0/);
});

test('status_notes name the verdict that verified the claim; an unreviewed claim gets no document', () => {
  const verdictDigest = sha256Digest('verdict');
  const doc = buildAiOpenVex(input({}, { approvedBy: [], verifiedBy: { verdictDigest, state: 'ConfirmedUnreachable' } }));
  assert.match(
    doc.statements[0]?.status_notes ?? '',
    new RegExp(`verified by reachability verdict ${verdictDigest} \\(ConfirmedUnreachable\\)`),
  );
  assert.doesNotMatch(doc.statements[0]?.status_notes ?? '', /approved by/);
  expectAttestryError(() => buildAiOpenVex(input({}, { approvedBy: [], verifiedBy: null })), 'E_INVALID_INPUT', /needs an approval/);
  expectAttestryError(() => buildAiOpenVex(input({}, { artifactId: 'a/b' })), 'E_INVALID_INPUT', /artifactId/);
  expectAttestryError(() => buildAiOpenVex(input({}, { timestamp: 'yesterday' })), 'E_INVALID_INPUT', /timestamp/);
});

test('the parser refuses what the OpenVEX status rules and the schema refuse', () => {
  const good = buildAiOpenVex(input());
  assert.deepEqual(parseAiOpenVex(clone(good)), good);
  const bad = (edit: (d: Mutable) => void): Mutable => {
    const d = clone(good) as unknown as Mutable;
    edit(d);
    return d;
  };
  const noReason = bad((d) => {
    delete d.statements[0]?.['justification'];
    delete d.statements[0]?.['impact_statement'];
  });
  assert.equal(isOpenVex(noReason), false, 'the schema agrees: not_affected needs a reason');
  expectAttestryError(() => parseAiOpenVex(noReason), 'E_INVALID_INPUT', /statements\.0\.impact_statement: not_affected needs/);
  // Either one alone is enough.
  parseAiOpenVex(bad((d) => delete d.statements[0]?.['impact_statement']));
  parseAiOpenVex(bad((d) => delete d.statements[0]?.['justification']));

  const noAction = bad((d) => {
    Object.assign(d.statements[0] ?? {}, { status: 'affected' });
    delete d.statements[0]?.['justification'];
    delete d.statements[0]?.['impact_statement'];
  });
  assert.equal(isOpenVex(noAction), false, 'the schema agrees: affected needs an action_statement');
  expectAttestryError(() => parseAiOpenVex(noAction), 'E_INVALID_INPUT', /statements\.0\.action_statement: affected needs/);

  const extraTop = bad((d) => (d['last_reviewed'] = 'x'));
  assert.equal(isOpenVex(extraTop), false);
  expectAttestryError(() => parseAiOpenVex(extraTop), 'E_INVALID_INPUT', /last_reviewed/);
  expectAttestryError(
    () => parseAiOpenVex(bad((d) => Object.assign(d.statements[0] ?? {}, { severity: 'high' }))),
    'E_INVALID_INPUT',
    /severity/,
  );
  expectAttestryError(
    () => parseAiOpenVex(bad((d) => Object.assign(d.statements[0] ?? {}, { status: 'fixed' }))),
    'E_INVALID_INPUT',
    /statements\.0\.justification: a justification is only for not_affected/,
  );
  expectAttestryError(() => parseAiOpenVex(bad((d) => (d['@context'] = 'https://openvex.dev/ns/v0.1.0'))), 'E_INVALID_INPUT', /@context/);
  expectAttestryError(() => parseAiOpenVex(bad((d) => (d['author'] = 'a'.repeat(5000)))), 'E_INVALID_INPUT', /author/);
  expectAttestryError(
    () => parseAiOpenVex(bad((d) => d.statements.push(clone(d.statements[0] ?? {})))),
    'E_INVALID_INPUT',
    /exactly one statement/,
  );
  expectAttestryError(() => parseAiOpenVex('not a document'), 'E_INVALID_INPUT');
});

test("the statement's subjects: the product by the artifact digest, the document by its canonical digest", () => {
  const doc = buildAiOpenVex(input());
  const docHex = createHash('sha256').update(canonicalBytes(doc)).digest('hex');
  assert.equal(vexDocumentDigest(doc), `sha256:${docHex}`);
  const artifactDigest = sha256Digest('the scanned image');
  const st = buildVexStatement(doc, artifactDigest);
  assert.equal(st._type, STATEMENT_TYPE_V1);
  assert.equal(st.predicateType, OPENVEX_PREDICATE_TYPE);
  assert.equal(st.predicate, doc);
  assert.deepEqual(st.subject, [
    { name: CLAIM.productPurl, digest: { sha256: artifactDigest.slice(7) } },
    { name: doc['@id'], digest: { sha256: docHex } },
  ]);
  assert.deepEqual(buildVexStatement(doc).subject, [{ name: doc['@id'], digest: { sha256: docHex } }]);
  assert.deepEqual(buildVexStatement(doc, null).subject, buildVexStatement(doc).subject);
});

test('a signed VEX attestation verifies and parses back to the same document', () => {
  const doc = buildAiOpenVex(input({ status: 'affected', justification: null, text: 'Upgrade to 1.3.1.' }));
  const pair = generateKeyPair('ed25519');
  const { envelope, bytes } = signVexAttestation(buildVexStatement(doc, sha256Digest('img')), createSigner(pair.privateKey, 'k1'));
  assert.equal(envelope.payloadType, INTOTO_PAYLOAD_TYPE);
  assert.deepEqual(decodeBase64(envelope.payload), canonicalBytes(buildVexStatement(doc, sha256Digest('img'))));
  verifyEnvelope(envelope, [createVerifier(pair.publicKey, 'k1')]);
  for (const form of [envelope, bytes, bytes.toString('utf8')]) {
    const parsed = parseVexAttestation(form);
    assert.deepEqual(parsed.document, doc);
    assert.equal(parsed.statement.subject.length, 2);
  }
});

test('parseVexAttestation refuses a wrong payloadType, _type, predicateType, subject or document', () => {
  const doc = buildAiOpenVex(input());
  const pair = generateKeyPair('ed25519');
  const signer = createSigner(pair.privateKey);
  const signed = (statement: unknown) => signVexAttestation(statement as ReturnType<typeof buildVexStatement>, signer).envelope;
  const st = buildVexStatement(doc, sha256Digest('img'));
  expectAttestryError(() => parseVexAttestation({ ...signed(st), payloadType: 'application/json' }), 'E_SIGNATURE_FORMAT', /payloadType/);
  expectAttestryError(
    () => parseVexAttestation(signed({ ...st, _type: 'https://in-toto.io/Statement/v0.1' })),
    'E_SIGNATURE_FORMAT',
    /_type/,
  );
  expectAttestryError(
    () => parseVexAttestation(signed({ ...st, predicateType: 'https://slsa.dev/provenance/v1' })),
    'E_SIGNATURE_FORMAT',
    /predicateType/,
  );
  expectAttestryError(
    () => parseVexAttestation(signed({ ...st, subject: st.subject.slice(0, 1) })),
    'E_SIGNATURE_FORMAT',
    /document's @id/,
  );
  const stray = [{ name: 'pkg:npm/other@1.0.0', digest: { sha256: 'a'.repeat(64) } }, st.subject[1]];
  expectAttestryError(() => parseVexAttestation(signed({ ...st, subject: stray })), 'E_SIGNATURE_FORMAT', /names neither/);
  // The predicate edited after the digest was taken: the subject no longer pins it.
  const edited = { ...doc, author: 'someone else' };
  expectAttestryError(() => parseVexAttestation(signed({ ...st, predicate: edited })), 'E_DIGEST_MISMATCH', /is not the predicate's/);
  const invalid = { ...doc, statements: [{ ...doc.statements[0], action_statement: 'x', status: 'affected' }] };
  expectAttestryError(() => parseVexAttestation(signed({ ...st, predicate: invalid })), 'E_INVALID_INPUT', /justification/);
  expectAttestryError(() => parseVexAttestation('{"payloadType":'), 'E_SIGNATURE_FORMAT');
});
