/**
 * AI attestations (issue 16) through the use cases, with real inference on
 * the repo's tiny GGUF model, a real SQLite index and filesystem store.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { aiModule } from '../../src/app/ai-module.js';
import { openApp, type App } from '../../src/app/open-app.js';
import { tinyModelGguf } from '../../src/ai/tiny-model/model.js';
import { ggufInDirectory } from '../../src/ai/backend-llama.js';
import { modelDigest } from '../../src/models/inspect.js';
import { compareOutputs, similarityScore } from '../../src/ai/similarity.js';
import { manifestHashOf } from '../../src/ai/manifest.js';
import { artifactIdsFor, parseArtifactId } from '../../src/ai/ids.js';
import type { AiUseCases, ExplainResult } from '../../src/ai/use-cases.js';
import type { Principal } from '../../src/authz/principal.js';
import { loadConfig } from '../../src/core/config.js';
import { makeTempDir } from '../helpers/model.js';
import { FINDING, tinyModelPath } from '../helpers/tiny-model.js';

const AI: Principal = { tokenId: 'test-ai', role: 'ai-service', tenants: ['default'] };
const local = (seed = 1, threads = 1) => ({ kind: 'local' as const, modelPath: tinyModelPath(seed), threads });

let app: App;
let ai: AiUseCases;
let dataDir: string;
let base: ExplainResult;

before(async () => {
  dataDir = makeTempDir();
  app = await openApp(loadConfig({ dataDir, env: {} }));
  await app.repos.tenants.add('default', null, new Date());
  await app.repos.tenants.add('other', null, new Date());
  ai = app.useCases(aiModule);
  base = await ai.explain(AI, {
    finding: FINDING,
    context: [
      { name: 'sbom.json', content: '{"components":["lodash"]}' },
      { name: 'advisory.txt', content: 'merge is vulnerable' },
    ],
    parameters: { maxTokens: 32 },
    backend: local(),
  });
});
after(() => app.close());

describe('the tiny model', () => {
  test('same seed, same bytes; another seed, other bytes', () => {
    assert.deepEqual(tinyModelGguf(1), tinyModelGguf(1));
    assert.notDeepEqual(tinyModelGguf(1), tinyModelGguf(2));
  });
  test('generates readable words', () => {
    assert.match(base.output, /^[a-z_]+( [a-z_]+){7,}/);
  });
});

describe('explain', () => {
  test('stores the seed layout and the predicate of the seed', async () => {
    const { date } = parseArtifactId(base.artifactId);
    const day = `${date.slice(0, 4)}/${date.slice(4, 6)}/${date.slice(6, 8)}`;
    assert.equal(base.keys.envelope, `ai-attestations/default/${day}/${base.artifactId}.dsse.json`);
    assert.equal(base.keys.manifest, `ai-attestations/default/${day}/${base.replayManifestId}.json`);
    const p = base.statement.predicate;
    assert.equal(base.statement.predicateType, 'https://stellaops.org/attestation/ai-artifact/v1');
    assert.equal(base.envelope?.payloadType, 'application/vnd.stellaops.ai-attestation+json');
    assert.equal(base.envelope?.signatures[0]?.keyid, 'attestry-ai-signer');
    assert.equal(p.authority, 'ai-generated');
    assert.deepEqual(Object.keys(p.parameters).sort(), ['maxTokens', 'seed', 'temperature', 'topK', 'topP']);
    assert.equal(p.replayManifest.manifestHash, manifestHashOf(base.manifest));
    assert.deepEqual(p.inputs.contextHashes, [...p.inputs.contextHashes].sort(), 'context ordered by digest');
    assert.equal(base.manifest.engine.engine, 'node-llama-cpp');
    assert.equal(base.manifest.engine.promptCache, false);
    const stored = readFileSync(join(dataDir, 'cas', 'signals', base.keys.manifest), 'utf8');
    assert.equal(JSON.parse(stored).manifestHash, base.manifest.manifestHash);
  });
  test('each artifact type starts with its authority', async () => {
    const r = await ai.explain(AI, { finding: FINDING, artifactType: 'vex_draft', parameters: { maxTokens: 4 }, backend: local() });
    assert.equal(r.authority, 'ai-draft-requires-review');
    const t = await ai.explain(AI, { finding: FINDING, artifactType: 'triage_suggestion', parameters: { maxTokens: 4 }, backend: local() });
    assert.equal(t.authority, 'ai-suggestion');
  });
  test('requireDeterminism refuses temperature 0.7', async () => {
    await assert.rejects(ai.explain(AI, { finding: FINDING, parameters: { temperature: 0.7 }, backend: local() }), {
      code: 'E_NONDETERMINISTIC',
    });
  });
  test('a reviewer may not generate', async () => {
    await assert.rejects(ai.explain({ tokenId: 'r', role: 'reviewer', tenants: ['default'] }, { finding: FINDING, backend: local() }), {
      code: 'E_FORBIDDEN',
    });
  });
  test('ids are the seed shape and unique', () => {
    assert.match(base.artifactId, /^ai-artifact-\d{8}-[0-9A-Z]{26}$/);
    assert.equal(artifactIdsFor(base.recordId).artifactId, base.artifactId);
  });
});

describe('directory models', () => {
  test('a directory with one .gguf: loaded from it, its weights digest is the OMS root digest of the directory', async () => {
    const dir = join(makeTempDir(), 'tiny-model');
    mkdirSync(dir);
    copyFileSync(tinyModelPath(), join(dir, 'tiny.gguf'));
    writeFileSync(join(dir, 'README.md'), 'the tiny test model\n');
    const r = await ai.explain(AI, {
      finding: FINDING,
      parameters: { maxTokens: 8 },
      backend: { kind: 'local', modelPath: dir, threads: 1 },
    });
    assert.equal(r.manifest.model.weightsDigest, (await modelDigest(dir)).rootDigest);
    assert.notEqual(r.manifest.model.weightsDigest, base.manifest.model.weightsDigest, 'not the file digest');
    assert.equal(r.output, (await ai.explain(AI, { finding: FINDING, parameters: { maxTokens: 8 }, backend: local() })).output);
  });
  test('which file of a directory is loaded: the one .gguf, or the first part of a split model; else a clear error', () => {
    assert.equal(ggufInDirectory('/m', ['a.txt', 'model.gguf']), '/m/model.gguf');
    assert.equal(ggufInDirectory('/m', ['m-00002-of-00002.gguf', 'm-00001-of-00002.gguf']), '/m/m-00001-of-00002.gguf');
    assert.throws(() => ggufInDirectory('/m', ['a.txt']), /holds no \.gguf file/);
    assert.throws(() => ggufInDirectory('/m', ['a.gguf', 'b.gguf']), /holds 2 \.gguf files \(a\.gguf, b\.gguf\); give the one to load/);
  });
});

describe('verify', () => {
  test('a fresh attestation is valid, every check named', async () => {
    const v = await ai.verify(AI, { attestation: base.envelope });
    assert.equal(v.valid, true, JSON.stringify(v.checks));
    assert.deepEqual(
      v.checks.map((c) => c.name),
      [
        'signature',
        'predicate-schema',
        'manifest-hash',
        'manifest-binding',
        'prompt-hashes',
        'context-hashes',
        'output-hash',
        'log-inclusion',
        'replay',
      ],
    );
  });
  test('an edited output in the manifest fails output-hash and manifest-hash', async () => {
    const m = structuredClone(base.manifest) as { output: { content: string } };
    m.output.content += ' extra';
    const v = await ai.verify(AI, { attestation: base.envelope, manifest: m });
    assert.equal(v.failedCheck, 'manifest-hash');
    assert.equal(v.checks.find((c) => c.name === 'output-hash')?.ok, false);
  });
  test("another artifact's manifest fails manifest-binding", async () => {
    const other = await ai.explain(AI, { finding: { ...FINDING, id: 'finding-2' }, parameters: { maxTokens: 4 }, backend: local() });
    const v = await ai.verify(AI, { attestation: base.envelope, manifest: other.manifest });
    assert.equal(v.failedCheck, 'manifest-binding');
  });
  test('a flipped signature byte fails signature', async () => {
    const env = structuredClone(base.envelope) as NonNullable<ExplainResult['envelope']>;
    const sig = Buffer.from(env.signatures[0]!.sig, 'base64');
    sig[5] = (sig[5] as number) ^ 1;
    env.signatures[0]!.sig = sig.toString('base64');
    const v = await ai.verify(AI, { attestation: env });
    assert.equal(v.failedCheck, 'signature');
  });
  test('with verifyReplay it replays', async () => {
    const v = await ai.verify(AI, { attestation: base.envelope, verifyReplay: true, backend: local() });
    assert.equal(v.checks.find((c) => c.name === 'replay')?.ok, true);
  });
});

describe('replay', () => {
  const replay = (overrides: Parameters<AiUseCases['replay']>[1]['overrides']) =>
    ai.replay(AI, { manifestId: base.replayManifestId, overrides });
  test('identical with the same setup', async () => {
    const r = await replay({ backend: local() });
    assert.equal(r.status, 'identical');
    assert.deepEqual(r.causes, []);
  });
  test('each changed pin is named', async () => {
    const cases: [string, Parameters<typeof replay>[0]][] = [
      ['weights', { backend: local(2) }],
      ['threads', { backend: local(1, 2) }],
      ['seed', { backend: local(), parameters: { seed: 7 } }],
      ['template-version', { backend: local(), templateVersion: 'v1.0.0' }],
      [
        'context',
        {
          backend: local(),
          context: [
            { name: 'sbom.json', content: '{"components":["lodash","x"]}' },
            { name: 'advisory.txt', content: 'merge is vulnerable' },
          ],
        },
      ],
      ['temperature', { backend: local(), parameters: { temperature: 0.5 } }],
    ];
    for (const [cause, overrides] of cases) {
      const r = await replay(overrides);
      assert.ok(
        r.causes.some((c) => c.cause === cause),
        `${cause}: ${JSON.stringify(r.causes.map((c) => c.cause))}`,
      );
    }
    const w = await replay({ backend: local(2) });
    assert.equal(w.status, 'divergent');
    assert.equal(w.details[0]?.type, 'content_divergence');
  });
  test('thread count changes nothing in the output of the tiny model (and is still named)', async () => {
    const r = await replay({ backend: local(1, 1) });
    assert.equal(r.status, 'identical');
  });
});

describe('audit trail', () => {
  test('every operation is a chained, signed, logged record; an edit is found', async () => {
    const ok = await ai.verifyAudit(AI);
    assert.equal(ok.ok, true, JSON.stringify(ok.checks));
    assert.ok(ok.length >= 5);
    const records = await ai.audit(AI, { artifactId: base.artifactId });
    assert.ok(records.some((r) => r.operation === 'ai_generation') && records.some((r) => r.operation === 'ai_replay'));
    const db = new Database(join(dataDir, 'index.sqlite'));
    db.prepare('UPDATE ai_audit SET record_json = replace(record_json, \'"signed":true\', \'"signed":false\') WHERE sequence = 2').run();
    db.close();
    const broken = await ai.verifyAudit(AI);
    assert.equal(broken.ok, false);
    assert.match(broken.problems.join('\n'), /record 2/);
  });
  test('another tenant does not see the artifact', async () => {
    await assert.rejects(ai.attestation({ tokenId: 'o', role: 'ai-service', tenants: ['other'] }, base.artifactId), {
      code: 'E_NOT_FOUND',
    });
  });
});

describe('similarity', () => {
  test('constructed pairs', () => {
    assert.equal(compareOutputs('a b c', 'a b c').status, 'identical');
    assert.equal(compareOutputs('The flaw  allows code execution.', 'The flaw allows code execution.').status, 'semantically-equivalent');
    const long = Array.from({ length: 60 }, (_, i) => `word${i % 7}`).join(' ');
    assert.equal(compareOutputs(`${long} allows`, `${long} permits`).status, 'semantically-equivalent');
    assert.equal(compareOutputs(`${long} CVE-2024-1234`, `${long} CVE-2024-1235`).status, 'divergent');
    assert.equal(compareOutputs('alpha beta', 'gamma delta').status, 'divergent');
    assert.equal(similarityScore('a b c d', 'a b x d'), 0.75);
    const d = compareOutputs('hello world', 'hello there').details[0];
    assert.deepEqual([d?.position, d?.originalSnippet, d?.replayedSnippet], [6, 'hello world', 'hello there']);
  });
  test('long inputs: one substitution in 20,000 tokens', () => {
    const a = Array.from({ length: 20000 }, (_, i) => `t${i % 101}`).join(' ');
    assert.equal(similarityScore(a, a.replace('t5 ', 't6 ')), 1 - 1 / 20000);
  });
});
