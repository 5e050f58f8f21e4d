/**
 * The evidence kind registry: what it refuses to build, that the builtin
 * declarations reproduce seed 000 §3 and the tables the product had before
 * the registry, and that a kind declared here, in the test, gets access,
 * layout and classification from its one declaration.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ulid } from 'ulid';
import { AI_PAYLOAD_TYPE } from '../../src/ai/kinds.js';
import { ACCESS_MATRIX, can, kindsAllowed } from '../../src/authz/access-matrix.js';
import { loadConfig } from '../../src/core/config.js';
import { ROLES, type Role } from '../../src/core/roles.js';
import { parseTenantId } from '../../src/core/tenant.js';
import { INTOTO_PAYLOAD_TYPE } from '../../src/crypto/intoto.js';
import { parseEvidence } from '../../src/evidence/classify.js';
import { BUILTIN_KINDS, builtinKinds, EVIDENCE_KINDS } from '../../src/kinds/builtin.js';
import { casLayout, evidenceBlobKey, parseCasKey } from '../../src/kinds/cas-layout.js';
import { ulidDateParts } from '../../src/kinds/template.js';
import type { KindDeclaration } from '../../src/kinds/declaration.js';
import { KindRegistry } from '../../src/kinds/registry.js';
import { OMS_LEGACY_PREDICATE_TYPE, OMS_PREDICATE_TYPE } from '../../src/models/oms.js';
import { expectAttestryError } from '../helpers/model.js';

/** Seed 000 §3.2 as the seed prints it ("All Others: deny"); `-` is deny. */
const SEED_000_3_2: Record<string, Record<string, string>> = {
  //                callgraphs    manifests     runtime-facts  attestations
  'signals-service': { callgraphs: 'rw', manifests: 'rw', 'runtime-facts': 'rw', attestations: 'rw' },
  'policy-engine': { callgraphs: 'r', manifests: 'r', 'runtime-facts': 'r', attestations: 'r' },
  'scanner-worker': { callgraphs: 'w', manifests: '-', 'runtime-facts': '-', attestations: '-' },
  'audit-service': { callgraphs: 'r', manifests: 'r', 'runtime-facts': 'r', attestations: 'r' },
  'ai-service': { callgraphs: '-', manifests: '-', 'runtime-facts': '-', attestations: '-' },
  reviewer: { callgraphs: '-', manifests: '-', 'runtime-facts': '-', attestations: '-' },
};

/** Seed 000 §3.1, every file of the four Signals kinds, with the id and tenant filled in. */
const SEED_000_3_1 = (tenant: string, id: string): Record<string, string> => ({
  'callgraphs/content': `callgraphs/${tenant}/${id}.ndjson.zst`,
  'callgraphs/primary': `callgraphs/${tenant}/${id}.meta.json`,
  'manifests/manifest': `manifests/${id}.json`,
  'manifests/primary': `manifests/${id}.json.dsse`,
  'runtime-facts/content': `runtime-facts/${tenant}/${id}.ndjson.zst`,
  'runtime-facts/primary': `runtime-facts/${tenant}/${id}.provenance.json`,
  'attestations/primary': `attestations/${id}.dsse`,
});

const kind = (over: Partial<KindDeclaration> & { name: string }): KindDeclaration => ({
  description: 'a test kind',
  blobs: { primary: `${over.name}/{tenant}/{id}.json` },
  access: {},
  retention: { keep: 'forever' },
  ...over,
});

const envelopeOf = (payloadType: string, payload: unknown): Uint8Array =>
  Buffer.from(
    JSON.stringify({
      payloadType,
      payload: Buffer.from(JSON.stringify(payload)).toString('base64'),
      signatures: [{ keyid: '', sig: Buffer.from('not checked here').toString('base64') }],
    }),
  );
const statement = (predicateType: string): unknown => ({
  _type: 'https://in-toto.io/Statement/v1',
  subject: [{ name: 'x', digest: { sha256: 'ab'.repeat(32) } }],
  predicateType,
  predicate: {},
});

describe('KindRegistry refuses ambiguous or unsafe declarations (E_CONFIG)', () => {
  const refuses = (declarations: KindDeclaration[], ...patterns: RegExp[]): void => {
    expectAttestryError(() => new KindRegistry(declarations), 'E_CONFIG', ...patterns);
  };
  test('a name declared twice', () => refuses([kind({ name: 'a' }), kind({ name: 'a' })], /kind a is declared twice/));
  test('a name that is not a safe segment', () => refuses([kind({ name: 'Bad/Name', blobs: { primary: 'Bad/Name/{id}' } })], /kind name/));
  test('a template outside the kind’s directory', () =>
    refuses([kind({ name: 'a', blobs: { primary: 'b/{tenant}/{id}.json' } })], /must start with "a\/"/));
  test('a template that merely shares the prefix', () =>
    refuses([kind({ name: 'a', blobs: { primary: 'ab/{id}.json' } })], /must start with "a\/"/));
  test('a placeholder other than {tenant} and {id}', () =>
    refuses([kind({ name: 'a', blobs: { primary: 'a/{tenant}/{graph_id}.json' } })], /placeholder \{graph_id\}/));
  test('characters outside [A-Za-z0-9._/-{}]', () => {
    refuses([kind({ name: 'a', blobs: { primary: 'a/{tenant}/{id} x.json' } })], /may only contain/);
    refuses([kind({ name: 'a', blobs: { primary: 'a/{tenant}/{id}$.json' } })], /may only contain/);
    refuses([kind({ name: 'a', blobs: { primary: 'a/{tenant}/{id}:.json' } })], /may only contain/);
  });
  test('an unbalanced brace', () => refuses([kind({ name: 'a', blobs: { primary: 'a/{tenant/{id}.json' } })], /brace|placeholder/));
  test('{id} missing or repeated, {tenant} repeated or not a whole segment', () => {
    refuses([kind({ name: 'a', blobs: { primary: 'a/{tenant}/all.json' } })], /\{id\} exactly once/);
    refuses([kind({ name: 'a', blobs: { primary: 'a/{id}/{id}.json' } })], /\{id\} exactly once/);
    refuses([kind({ name: 'a', blobs: { primary: 'a/{tenant}/{tenant}/{id}' } })], /\{tenant\} at most once/);
    refuses([kind({ name: 'a', blobs: { primary: 'a/t-{tenant}/{id}' } })], /whole path segment/);
  });
  test('a template that makes an unsafe key', () => {
    refuses([kind({ name: 'a', blobs: { primary: 'a/../{id}' } })], /safe key/);
    refuses([kind({ name: 'a', blobs: { primary: 'a//{id}' } })], /safe key/);
    refuses([kind({ name: 'a', blobs: { primary: 'a/.{id}' } })], /safe key/);
  });
  test('no primary blob, or two roles on one template', () => {
    refuses([{ ...kind({ name: 'a' }), blobs: { content: 'a/{id}' } as unknown as KindDeclaration['blobs'] }], /no primary blob/);
    refuses([kind({ name: 'a', blobs: { primary: 'a/{id}', copy: 'a/{id}' } })], /share the template/);
  });
  test('two kinds claiming one predicate type or one payload type', () => {
    refuses(
      [kind({ name: 'a', predicateTypes: ['urn:p'] }), kind({ name: 'b', predicateTypes: ['urn:p'] })],
      /predicate type urn:p is claimed by both a and b/,
    );
    refuses(
      [kind({ name: 'a', payloadTypes: ['x/y'] }), kind({ name: 'b', payloadTypes: ['x/y'] })],
      /payload type x\/y is claimed by both a and b/,
    );
  });
  test('two default kinds, unknown roles or grants, malformed retention or switches', () => {
    refuses([kind({ name: 'a', classifyByDefault: true }), kind({ name: 'b', classifyByDefault: true })], /both say classifyByDefault/);
    refuses([kind({ name: 'a', access: { root: 'rw' } as KindDeclaration['access'] })], /not a role/);
    refuses([kind({ name: 'a', access: { admin: 'x' } as unknown as KindDeclaration['access'] })], /not one of/);
    refuses([kind({ name: 'a', retention: { keep: 'days' } as unknown as KindDeclaration['retention'] })], /retention/);
    refuses([kind({ name: 'a', switches: { writeEnabled: 'not a key' } })], /switch writeEnabled/);
  });
  test('require() names an unknown kind as invalid input', () => {
    expectAttestryError(() => builtinKinds().require('sbom-scans'), 'E_INVALID_INPUT', /kind "sbom-scans" is not an evidence kind/);
  });
});

describe('the builtin kinds', () => {
  const kinds = builtinKinds();
  test('are the eleven kinds, seed 000’s four first, in today’s order', () => {
    assert.deepEqual(kinds.names(), [
      'callgraphs',
      'manifests',
      'runtime-facts',
      'attestations',
      'reachability-verdicts',
      'model-signatures',
      'ai-attestations',
      'ai-audit-records',
      'ai-reviews',
      'vex-statements',
      'message-signatures',
    ]);
    assert.deepEqual(EVIDENCE_KINDS, kinds.names());
    assert.deepEqual(
      BUILTIN_KINDS.map((d) => d.name),
      kinds.names(),
    );
  });
  test('the derived matrix is seed 000 §3.2 for the four Signals kinds', () => {
    const table = kinds.accessTable();
    for (const [role, row] of Object.entries(SEED_000_3_2)) {
      for (const [k, g] of Object.entries(row)) assert.equal(table[role as Role][k], g, `${role} on ${k}`);
    }
    // Admin is this product's operator, outside the seed's table: everything, except deciding on
    // and publishing AI drafts, which issue 17 leaves to reviewers alone.
    for (const k of kinds.names()) assert.equal(table.admin[k], ['ai-reviews', 'vex-statements'].includes(k) ? 'r' : 'rw', k);
  });
  test('the access surface of authz is the registry’s', () => {
    assert.deepEqual(ACCESS_MATRIX, kinds.accessTable());
    for (const role of ROLES) {
      for (const action of ['read', 'write'] as const) {
        assert.deepEqual(kindsAllowed(role, action), kinds.kindsAllowed(role, action));
        for (const k of kinds.names()) assert.equal(can(role, k, action), kinds.can(role, k, action));
      }
    }
  });
  test('the README’s access table is the derived one', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('### Access matrix');
    const section = readme.slice(start, readme.indexOf('\n#', start + 1));
    const rows = section.split('\n').filter((line) => line.startsWith('| '));
    const cells = (line: string): string[] =>
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
    const [header, ...body] = rows.map(cells);
    assert.deepEqual(header, ['role', ...kinds.names()]);
    const table = kinds.accessTable();
    assert.deepEqual(
      body.map((r) => r.map((c) => (c === '–' ? '-' : c))),
      ROLES.map((role) => [role, ...kinds.names().map((k) => table[role][k])]),
    );
  });
  test('message-signatures have exactly the grants of attestations', () => {
    for (const role of ROLES) assert.equal(kinds.grant(role, 'message-signatures'), kinds.grant(role, 'attestations'), role);
  });
  test('every Signals blob is where seed 000 §3.1 puts it', () => {
    const id = ulid();
    const want = SEED_000_3_1('acme', id);
    for (const [where, key] of Object.entries(want)) {
      const [k, role] = where.split('/') as [string, string];
      assert.equal(kinds.blobKey(k, role, 'acme', id), key);
      assert.deepEqual(kinds.matchKey(key), { kind: k, role, tenant: key.includes('/acme/') ? 'acme' : undefined, id });
    }
    assert.deepEqual(
      Object.keys(want).sort(),
      ['callgraphs', 'manifests', 'runtime-facts', 'attestations'].flatMap((k) => kinds.blobRoles(k).map((r) => `${k}/${r}`)).sort(),
    );
  });
  test('casLayout and evidenceBlobKey keep their keys', () => {
    const id = ulid();
    assert.equal(casLayout.callgraph('acme', id), `callgraphs/acme/${id}.ndjson.zst`);
    assert.equal(casLayout.callgraphMeta('acme', id), `callgraphs/acme/${id}.meta.json`);
    assert.equal(casLayout.manifest(id), `manifests/${id}.json`);
    assert.equal(casLayout.manifestEnvelope(id), `manifests/${id}.json.dsse`);
    assert.equal(casLayout.runtimeFacts('acme', id), `runtime-facts/acme/${id}.ndjson.zst`);
    assert.equal(casLayout.provenance('acme', id), `runtime-facts/acme/${id}.provenance.json`);
    assert.equal(casLayout.attestation(id), `attestations/${id}.dsse`);
    assert.equal(casLayout.modelSignature('acme', id), `model-signatures/acme/${id}.sigstore.json`);
    const { yyyy, mm, dd, yyyymmdd } = ulidDateParts(id);
    assert.equal(casLayout.aiAttestation('acme', id), `ai-attestations/acme/${yyyy}/${mm}/${dd}/ai-artifact-${yyyymmdd}-${id}.dsse.json`);
    assert.equal(casLayout.messageSignature('acme', id), `message-signatures/acme/${id}.sigstore.json`);
    const primary: Record<string, string> = {
      attestations: casLayout.attestation(id),
      'model-signatures': casLayout.modelSignature('acme', id),
      'ai-attestations': casLayout.aiAttestation('acme', id),
      'ai-audit-records': `ai-audit-records/acme/${id}.dsse.json`,
      'message-signatures': casLayout.messageSignature('acme', id),
      manifests: casLayout.manifestEnvelope(id),
      callgraphs: casLayout.callgraphMeta('acme', id),
      'runtime-facts': casLayout.provenance('acme', id),
      // Issue 15: no casLayout helper; the key is the declaration's template.
      'reachability-verdicts': `reachability-verdicts/acme/${id}.dsse.json`,
      // Issue 17: likewise.
      'ai-reviews': `ai-reviews/acme/${id}.dsse.json`,
      'vex-statements': `vex-statements/acme/${id}.dsse.json`,
    };
    for (const k of EVIDENCE_KINDS) assert.equal(evidenceBlobKey(k, 'acme', id), primary[k], k);
  });
  test('keys are minted from validated ids only', () => {
    expectAttestryError(() => kinds.blobKey('attestations', 'primary', 'acme', '../etc'), 'E_INVALID_INPUT', /not a valid ULID/);
    expectAttestryError(() => kinds.blobKey('model-signatures', 'primary', '../x', ulid()), 'E_INVALID_INPUT', /not a tenant id/);
    expectAttestryError(() => casLayout.callgraph('acme', 'x'), 'E_INVALID_INPUT', /graphId: "x" is not a valid ULID/);
    expectAttestryError(() => casLayout.provenance('acme', 'x'), 'E_INVALID_INPUT', /batchId: "x"/);
    expectAttestryError(() => kinds.blobKey('attestations', 'content', 'acme', ulid()), 'E_INVALID_INPUT', /no blob role "content"/);
    expectAttestryError(() => kinds.blobKey('sbom-scans', 'primary', 'acme', ulid()), 'E_INVALID_INPUT', /not an evidence kind/);
    // Lower-case ids are normalised, so one record never has two keys.
    const id = ulid();
    assert.equal(kinds.blobKey('attestations', 'primary', 'acme', id.toLowerCase()), `attestations/${id}.dsse`);
  });
  test('parseCasKey accepts what the templates make and nothing else', () => {
    const id = ulid();
    assert.equal(parseCasKey(`callgraphs/acme/${id}.ndjson.zst`), `callgraphs/acme/${id}.ndjson.zst`);
    for (const bad of [
      `elsewhere/acme/${id}.json`,
      `attestations/../${id}.dsse`,
      `/attestations/${id}.dsse`,
      `attestations/${id}.json`,
      `attestations/acme/${id}.dsse`,
      `callgraphs/../${id}.meta.json`,
      `callgraphs/a..b/${id}.meta.json`,
      `callgraphs/acme/${id.toLowerCase()}.meta.json`,
      'callgraphs',
    ]) {
      expectAttestryError(() => parseCasKey(bad), 'E_INVALID_INPUT', /not a CAS key of this layout/);
    }
  });
  test('date placeholders follow the ULID’s UTC timestamp, both ways', () => {
    // 2025-12-26T10:30:00Z, the seed's example date.
    const id = ulid(Date.UTC(2025, 11, 26, 10, 30));
    assert.deepEqual(ulidDateParts(id), { yyyy: '2025', mm: '12', dd: '26', yyyymmdd: '20251226' });
    const base = 'ai-attestations/acme/2025/12/26';
    assert.equal(kinds.blobKey('ai-attestations', 'statement', 'acme', id), `${base}/ai-artifact-20251226-${id}.json`);
    assert.equal(kinds.blobKey('ai-attestations', 'manifest', 'acme', id), `${base}/replay-20251226-${id}.json`);
    assert.deepEqual(kinds.matchKey(`${base}/replay-20251226-${id}.json`), {
      kind: 'ai-attestations',
      role: 'manifest',
      tenant: 'acme',
      id,
    });
    // A key whose date disagrees with its ULID is not one the template made.
    for (const bad of [
      `ai-attestations/acme/2025/12/27/ai-artifact-20251226-${id}.json`,
      `ai-attestations/acme/2025/12/26/ai-artifact-20251227-${id}.json`,
      `ai-attestations/acme/2024/12/26/replay-20251226-${id}.json`,
    ]) {
      assert.equal(kinds.matchKey(bad), undefined, bad);
      expectAttestryError(() => parseCasKey(bad), 'E_INVALID_INPUT', /not a CAS key of this layout/);
    }
    const custom = new KindRegistry([kind({ name: 'a', blobs: { primary: 'a/{yyyy}/{mm}/{id}-{dd}.json' } })]);
    assert.equal(custom.blobKey('a', 'primary', 'acme', id), `a/2025/12/${id}-26.json`);
    assert.equal(custom.matchKey(`a/2025/12/${id}-25.json`), undefined);
  });
  test('audit records are read by audit, reviewers and policy, written by the AI service', () => {
    assert.deepEqual(
      Object.fromEntries(
        (['ai-service', 'audit-service', 'reviewer', 'policy-engine', 'admin', 'scanner-worker'] as const).map((r) => [
          r,
          kinds.grant(r, 'ai-audit-records'),
        ]),
      ),
      { 'ai-service': 'rw', 'audit-service': 'r', reviewer: 'r', 'policy-engine': 'r', admin: 'rw', 'scanner-worker': '-' },
    );
  });
  test('classification is today’s table', () => {
    assert.equal(kinds.classify(OMS_PREDICATE_TYPE, INTOTO_PAYLOAD_TYPE), 'model-signatures');
    assert.equal(kinds.classify(OMS_LEGACY_PREDICATE_TYPE, INTOTO_PAYLOAD_TYPE), 'model-signatures');
    assert.equal(kinds.classify('https://stellaops.org/attestation/ai-artifact/v1', INTOTO_PAYLOAD_TYPE), 'ai-attestations');
    assert.equal(kinds.classify('https://stella.ops/attestation/runtime-facts/v1', INTOTO_PAYLOAD_TYPE), 'attestations');
    assert.equal(kinds.classify('https://slsa.dev/provenance/v1', INTOTO_PAYLOAD_TYPE), 'attestations');
    assert.equal(kinds.classify(null, AI_PAYLOAD_TYPE), 'ai-attestations');
    assert.equal(kinds.classify('https://slsa.dev/provenance/v1', AI_PAYLOAD_TYPE), 'ai-attestations');
    assert.equal(kinds.classify(OMS_PREDICATE_TYPE, AI_PAYLOAD_TYPE), 'model-signatures');
    assert.equal(kinds.classify(null, 'text/plain'), 'attestations');
  });
  test('retention is seed 000 §3.3, with the days from §9’s keys', () => {
    const config = loadConfig({ env: {}, dataDir: '/nonexistent-attestry-test' });
    assert.equal(kinds.retentionDays('runtime-facts', config), 90);
    assert.equal(kinds.retentionDays('callgraphs', config), 30);
    assert.deepEqual(kinds.get('callgraphs')?.retention, {
      keep: 'days',
      configKey: 'Signals.CAS.RetentionDays.OrphanCallgraphs',
      scope: 'unreferenced',
    });
    for (const k of ['manifests', 'attestations', 'model-signatures', 'ai-attestations', 'ai-audit-records', 'message-signatures']) {
      assert.equal(kinds.retentionDays(k, config), null, k);
    }
    expectAttestryError(
      () => kinds.retentionDays('runtime-facts', {}),
      'E_CONFIG',
      /Signals\.CAS\.RetentionDays\.RuntimeFacts does not exist/,
    );
  });
  test('the Signals kinds name seed 000 §9’s switches', () => {
    for (const k of ['callgraphs', 'manifests', 'runtime-facts', 'attestations']) {
      assert.deepEqual(kinds.get(k)?.switches, { writeEnabled: 'Signals.CAS.WriteEnabled', logged: 'Signals.Provenance.RekorEnabled' }, k);
    }
    for (const k of ['model-signatures', 'ai-attestations', 'message-signatures']) assert.equal(kinds.get(k)?.switches, undefined, k);
  });
  test('parseTenantId lives in core', () => {
    assert.equal(parseTenantId('acme'), 'acme');
    expectAttestryError(() => parseTenantId('a..b'), 'E_INVALID_INPUT', /not a tenant id/);
  });
});

describe('a kind declared here gets access, layout and classification from its one declaration', () => {
  const SBOM_SCANS: KindDeclaration = {
    name: 'sbom-scans',
    description: 'SBOM scan results (a throwaway kind of this test)',
    predicateTypes: ['https://example.test/sbom-scan/v1'],
    payloadTypes: ['application/vnd.example.sbom-scan+json'],
    blobs: { primary: 'sbom-scans/{tenant}/{id}.dsse.json', report: 'sbom-scans/{tenant}/{id}.report.json.zst' },
    access: { 'scanner-worker': 'w', 'policy-engine': 'r', admin: 'rw' },
    retention: { keep: 'days', configKey: 'Scans.RetentionDays' },
  };
  const kinds = new KindRegistry([...BUILTIN_KINDS, SBOM_SCANS]);

  test('access', () => {
    assert.equal(kinds.can('scanner-worker', 'sbom-scans', 'write'), true);
    assert.equal(kinds.can('scanner-worker', 'sbom-scans', 'read'), false);
    assert.equal(kinds.can('policy-engine', 'sbom-scans', 'read'), true);
    assert.equal(kinds.can('signals-service', 'sbom-scans', 'read'), false);
    assert.deepEqual(kinds.kindsAllowed('scanner-worker', 'write'), ['callgraphs', 'sbom-scans']);
    assert.equal(kinds.accessTable().reviewer['sbom-scans'], '-');
    // The product's registry has never heard of it: denied, not an error.
    assert.equal(builtinKinds().can('admin', 'sbom-scans', 'read'), false);
  });
  test('layout', () => {
    const id = ulid();
    const primary = kinds.blobKey('sbom-scans', 'primary', 'acme', id);
    const report = kinds.blobKey('sbom-scans', 'report', 'acme', id);
    assert.equal(primary, `sbom-scans/acme/${id}.dsse.json`);
    assert.equal(report, `sbom-scans/acme/${id}.report.json.zst`);
    assert.equal(evidenceBlobKey('sbom-scans', 'acme', id, kinds), primary);
    assert.equal(kinds.parseCasKey(report), report);
    assert.equal(parseCasKey(report, kinds), report);
    assert.deepEqual(kinds.matchKey(report), { kind: 'sbom-scans', role: 'report', tenant: 'acme', id });
    assert.ok(kinds.listPrefixes().includes('sbom-scans'));
    expectAttestryError(() => builtinKinds().parseCasKey(report), 'E_INVALID_INPUT', /not a CAS key/);
  });
  test('classification', () => {
    const byPredicate = parseEvidence(envelopeOf(INTOTO_PAYLOAD_TYPE, statement('https://example.test/sbom-scan/v1')), undefined, kinds);
    assert.equal(byPredicate.kind, 'sbom-scans');
    assert.deepEqual(byPredicate.subjects, [{ digest: `sha256:${'ab'.repeat(32)}`, name: 'x' }]);
    // A payload type the kind claims is parsed as a statement too.
    const byPayload = parseEvidence(envelopeOf('application/vnd.example.sbom-scan+json', statement('urn:other')), undefined, kinds);
    assert.equal(byPayload.kind, 'sbom-scans');
    assert.equal(byPayload.predicateType, 'urn:other');
    // Without the declaration the same upload is generic evidence.
    assert.equal(parseEvidence(envelopeOf(INTOTO_PAYLOAD_TYPE, statement('https://example.test/sbom-scan/v1'))).kind, 'attestations');
  });
  test('retention', () => {
    assert.equal(kinds.retentionDays('sbom-scans', { Scans: { RetentionDays: 7 } }), 7);
    expectAttestryError(() => kinds.retentionDays('sbom-scans', { Scans: { RetentionDays: 'soon' } }), 'E_CONFIG', /whole number of days/);
  });
  test('a registry without a default kind refuses what no kind claims', () => {
    const only = new KindRegistry([SBOM_SCANS]);
    expectAttestryError(() => only.classify('urn:x', INTOTO_PAYLOAD_TYPE), 'E_INVALID_INPUT', /no evidence kind accepts/);
  });
});
