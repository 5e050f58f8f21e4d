import { test } from 'node:test';
import assert from 'node:assert/strict';
import { comparePins, type ReplaySetup } from '../../src/ai/pins.js';
import { sha256Digest } from '../../src/core/digest.js';
import type { ContextDocument, EnginePins, ReplayManifest } from '../../src/ai/types.js';

const doc = (name: string, content: string): ContextDocument => ({ name, mediaType: 'text/plain', content, digest: sha256Digest(content) });
const PACK = [doc('a.txt', 'alpha'), doc('b.txt', 'beta')];
const PINS: EnginePins = {
  engine: 'node-llama-cpp',
  engineVersion: '3.22.1',
  backend: 'cpu',
  gpu: null,
  threads: 2,
  batchSize: 512,
  contextSize: 2048,
  promptCache: false,
  tokenizerDigest: sha256Digest('tok'),
  chatTemplateDigest: sha256Digest('chat'),
  remote: { endpoint: 'http://x/v1', modelId: 'm', version: 'v1' },
};
const SETUP: ReplaySetup = {
  modelId: 'tiny',
  weightsDigest: sha256Digest('w'),
  parameters: { temperature: 0, seed: 42, maxTokens: 64, topK: 1, topP: 1 },
  templateVersion: 'v1.0.0',
  templateDigest: sha256Digest('t'),
  systemPrompt: 'sys',
  userPrompt: 'usr',
  contextPack: PACK,
  pins: PINS,
};
const MANIFEST = {
  model: { modelId: 'tiny', weightsDigest: SETUP.weightsDigest, promptTemplateVersion: 'v1.0.0', templateDigest: sha256Digest('t') },
  prompts: { systemPrompt: 'sys', userPrompt: 'usr', systemPromptHash: sha256Digest('sys'), userPromptHash: sha256Digest('usr') },
  context: { contextPack: PACK, contextHashes: PACK.map((d) => d.digest) },
  parameters: SETUP.parameters,
  engine: PINS,
} as unknown as ReplayManifest;

const names = (s: Partial<ReplaySetup>, p: Partial<EnginePins> = {}): string[] =>
  comparePins(MANIFEST, { ...SETUP, ...s, pins: { ...PINS, ...p } }).map((c) => c.cause);

test('no differences, no causes', () => assert.deepEqual(names({}), []));

test('each cause from exactly its change', () => {
  assert.deepEqual(names({ weightsDigest: sha256Digest('x') }), ['weights']);
  assert.deepEqual(names({ parameters: { ...SETUP.parameters, temperature: 0.5 } }), ['temperature']);
  assert.deepEqual(names({ parameters: { ...SETUP.parameters, seed: 7 } }), ['seed']);
  assert.deepEqual(names({ parameters: { ...SETUP.parameters, maxTokens: 9 } }), ['max-tokens']);
  assert.deepEqual(names({ parameters: { ...SETUP.parameters, topK: 40 } }), ['top-k']);
  assert.deepEqual(names({ parameters: { ...SETUP.parameters, topP: 0.9 } }), ['top-p']);
  assert.deepEqual(names({ templateVersion: 'v1.1.0' }), ['template-version']);
  assert.deepEqual(names({ templateDigest: sha256Digest('other') }), ['template']);
  assert.deepEqual(names({ userPrompt: 'other' }), ['prompts']);
  assert.deepEqual(names({ contextPack: [PACK[1]!, PACK[0]!] }), ['context']);
  const pinCases: Array<[Partial<EnginePins>, string]> = [
    [{ engine: 'openai-compatible' }, 'engine'],
    [{ engineVersion: '3.0.0' }, 'engine-version'],
    [{ backend: 'cuda' }, 'backend'],
    [{ threads: 1 }, 'threads'],
    [{ batchSize: 8 }, 'batch-size'],
    [{ contextSize: 4096 }, 'context-size'],
    [{ promptCache: true }, 'prompt-cache'],
    [{ tokenizerDigest: sha256Digest('t2') }, 'tokenizer'],
    [{ chatTemplateDigest: sha256Digest('c2') }, 'chat-template'],
    [{ remote: { endpoint: 'http://x/v1', modelId: 'other', version: 'v1' } }, 'remote-model'],
  ];
  for (const [p, n] of pinCases) assert.deepEqual(names({}, p), [n]);
});

test('seed wording and context detail', () => {
  const [w] = comparePins(MANIFEST, { ...SETUP, weightsDigest: sha256Digest('x') });
  assert.match(w!.description, /Weights digest mismatch/);
  assert.equal(w!.resolution, 'Use exact model version');
  const [c] = comparePins(MANIFEST, { ...SETUP, contextPack: [PACK[0]!, doc('c.txt', 'gamma')] });
  assert.match(c!.description, /removed b\.txt, added c\.txt/);
  assert.equal(c!.resolution, 'Sort context deterministically');
});

test("an engineVersion of 'unknown' is not known: no mismatch either way", () => {
  assert.deepEqual(names({}, { engineVersion: 'unknown' }), []);
  const m = { ...MANIFEST, engine: { ...PINS, engineVersion: 'unknown' } } as ReplayManifest;
  assert.deepEqual(
    comparePins(m, SETUP).map((c) => c.cause),
    [],
  );
});

test('a remote server reporting another version is remote-model', () => {
  const [c] = comparePins(MANIFEST, { ...SETUP, pins: { ...PINS, remote: { endpoint: 'http://x/v1', modelId: 'm', version: 'v2' } } });
  assert.equal(c?.cause, 'remote-model');
  assert.deepEqual(c?.actual, { modelId: 'm', version: 'v2' });
});

test('null pins are ignored', () => {
  assert.deepEqual(names({}, { threads: null, batchSize: null, tokenizerDigest: null, remote: null }), []);
  assert.deepEqual(names({ templateDigest: null }), []);
});
