/**
 * The OpenAI-compatible backend against a real HTTP server (test/helpers/
 * openai-server.ts) that serves the tiny GGUF's inference over the
 * chat-completions protocol, through the same AiService path as ai.test.ts:
 * explain, verify, replay, the pins a server reports, and the error paths.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { aiModule } from '../../src/app/ai-module.js';
import { openApp, type App } from '../../src/app/open-app.js';
import type { BackendSpec } from '../../src/ai/backend.js';
import { openOpenAiBackend } from '../../src/ai/backend-openai.js';
import { weightsDigestOf } from '../../src/ai/backend-llama.js';
import { comparePins } from '../../src/ai/pins.js';
import type { AiUseCases, ExplainResult } from '../../src/ai/use-cases.js';
import type { Principal } from '../../src/authz/principal.js';
import { loadConfig } from '../../src/core/config.js';
import { isAttestryError } from '../../src/core/errors.js';
import { makeTempDir } from '../helpers/model.js';
import { startOpenAiServer, type OpenAiTestServer } from '../helpers/openai-server.js';
import { FINDING, tinyModelPath } from '../helpers/tiny-model.js';

const AI: Principal = { tokenId: 'test-ai', role: 'ai-service', tenants: ['default'] };
const API_KEY = 'sk-attestry-test-7f3c9d1e5b';
const CONTEXT = [{ name: 'advisory.txt', content: 'merge is vulnerable' }];
const PARAMS = { maxTokens: 16, seed: 42 };

let app: App;
let ai: AiUseCases;
let dataDir: string;
let server: OpenAiTestServer;
let base: ExplainResult;
/** Every error message the tests saw, checked at the end for the token. */
const messages: string[] = [];

const remote = (extra: Partial<Extract<BackendSpec, { kind: 'remote' }>> = {}): BackendSpec => ({
  kind: 'remote',
  endpoint: server.endpoint,
  apiKey: API_KEY,
  ...extra,
});

/** A short successful generation, so the pool holds a backend for `remote()` (a later spec must not reuse it wrongly). */
const warm = (): Promise<unknown> => ai.explain(AI, { finding: FINDING, parameters: { maxTokens: 2, seed: 42 }, backend: remote() });

/** Runs `p`, expects an AttestryError with `code`, records its message and returns it. */
async function failure(p: Promise<unknown>, code: string): Promise<string> {
  const e = await p.then(
    () => assert.fail(`expected ${code}`),
    (err: unknown) => err,
  );
  assert.ok(isAttestryError(e), `not an AttestryError: ${String(e)}`);
  assert.equal(e.code, code, e.message);
  messages.push(e.message);
  return e.message;
}

before(async () => {
  dataDir = makeTempDir();
  server = await startOpenAiServer({ modelPath: tinyModelPath(1), apiKey: API_KEY, fingerprint: 'b1-aaaaaaa' });
  app = await openApp(loadConfig({ dataDir, env: {} }));
  await app.repos.tenants.add('default', null, new Date());
  ai = app.useCases(aiModule);
  base = await ai.explain(AI, { finding: FINDING, context: CONTEXT, parameters: PARAMS, backend: remote() });
});
after(async () => {
  await app.close();
  await server.close();
});

describe('explain through an OpenAI-compatible server', () => {
  test('the attestation verifies and records what the server reported', async () => {
    const v = await ai.verify(AI, { attestation: base.envelope });
    assert.equal(v.valid, true, JSON.stringify(v.checks));
    const e = base.manifest.engine;
    assert.equal(e.engine, 'openai-compatible');
    assert.equal(e.backend, 'remote');
    assert.equal(e.engineVersion, 'b1-aaaaaaa');
    assert.deepEqual(e.remote, { endpoint: server.endpoint, modelId: 'tiny', version: 'b1-aaaaaaa' });
    assert.equal(base.statement.predicate.model.modelId, 'tiny', 'the model id GET /v1/models listed');
    assert.match(base.output, /^[a-z_]+( [a-z_]+){7,}/);
  });
  test('the request carries the pinned parameters and the bearer token', () => {
    const chat = server.requests.filter((r) => r.path === '/v1/chat/completions');
    const first = chat[0]?.body as Record<string, unknown>;
    assert.deepEqual(
      [first['seed'], first['temperature'], first['top_k'], first['top_p'], first['max_tokens'], first['stream']],
      [42, 0, 1, 1, 16, false],
    );
    assert.deepEqual(
      (first['messages'] as { role: string }[]).map((m) => m.role),
      ['system', 'user'],
    );
    assert.ok(server.requests.every((r) => r.authorization === `Bearer ${API_KEY}`));
  });
});

describe('replay through the server', () => {
  test('the same server: identical, no causes', async () => {
    const r = await ai.replay(AI, { manifestId: base.replayManifestId, overrides: { backend: remote() } });
    assert.equal(r.status, 'identical', JSON.stringify(r.error));
    assert.deepEqual(r.causes, []);
  });
  test('an upgraded server (another system_fingerprint) is named as the cause', async () => {
    server.fingerprint = 'b2-bbbbbbb';
    try {
      const r = await ai.replay(AI, { manifestId: base.replayManifestId, overrides: { backend: remote() } });
      assert.equal(r.status, 'identical', 'the same weights still give the same bytes');
      const c = r.causes.find((x) => x.cause === 'remote-model');
      assert.ok(c, JSON.stringify(r.causes.map((x) => x.cause)));
      assert.deepEqual(c.expected, { modelId: 'tiny', version: 'b1-aaaaaaa' });
      assert.deepEqual(c.actual, { modelId: 'tiny', version: 'b2-bbbbbbb' });
      // engineVersion is the fingerprint too, so the engine-version pin names it as well.
      assert.deepEqual(r.causes.map((x) => x.cause).sort(), ['engine-version', 'remote-model']);
    } finally {
      server.fingerprint = 'b1-aaaaaaa';
    }
  });
  test('a backend that has not generated yet does not invent an engine-version cause', async () => {
    const fresh = await openOpenAiBackend({ kind: 'remote', endpoint: server.endpoint, apiKey: API_KEY });
    const causes = comparePins(base.manifest, {
      modelId: fresh.modelId,
      weightsDigest: fresh.weightsDigest,
      parameters: base.manifest.parameters,
      templateVersion: base.manifest.model.promptTemplateVersion,
      templateDigest: base.manifest.model.templateDigest,
      systemPrompt: base.manifest.prompts.systemPrompt,
      userPrompt: base.manifest.prompts.userPrompt,
      contextPack: base.manifest.context.contextPack,
      pins: fresh.pins(),
    });
    assert.deepEqual(causes, []);
  });
});

describe('the same model locally and over HTTP', () => {
  test('byte-identical output, token count and prompts', async () => {
    // The server runs the same tiny GGUF through the same llama backend with the same prompts,
    // greedy decoding and seed, and JSON carries the text unchanged: nothing may differ.
    const weightsDigest = await weightsDigestOf(tinyModelPath(1));
    const r = await ai.explain(AI, { finding: FINDING, context: CONTEXT, parameters: PARAMS, backend: remote({ weightsDigest }) });
    const l = await ai.explain(AI, {
      finding: FINDING,
      context: CONTEXT,
      parameters: PARAMS,
      backend: { kind: 'local', modelPath: tinyModelPath(1), threads: 1 },
    });
    assert.equal(r.output, l.output);
    assert.equal(r.output, base.output);
    assert.equal(r.tokenCount, l.tokenCount);
    assert.equal(r.manifest.output.contentHash, l.manifest.output.contentHash);
    assert.equal(r.manifest.prompts.userPromptHash, l.manifest.prompts.userPromptHash);
    assert.equal(r.manifest.model.weightsDigest, l.manifest.model.weightsDigest, 'the configured weightsDigest is recorded');
    const x = await ai.replay(AI, {
      manifestId: r.replayManifestId,
      overrides: { backend: { kind: 'local', modelPath: tinyModelPath(1), threads: 2 } },
    });
    assert.equal(x.status, 'identical');
    assert.ok(['engine', 'backend'].every((n) => x.causes.some((c) => c.cause === n)));
  });
});

describe('errors', () => {
  test('HTTP 500: E_GENERATION_FAILED with the status', async () => {
    server.fault = { kind: 'status', status: 500 };
    try {
      const m = await failure(ai.explain(AI, { finding: FINDING, parameters: PARAMS, backend: remote() }), 'E_GENERATION_FAILED');
      assert.match(m, /HTTP 500/);
      const r = await ai.replay(AI, { manifestId: base.replayManifestId, overrides: { backend: remote() } });
      assert.equal(r.status, 'failed');
      assert.equal(r.error?.code, 'E_GENERATION_FAILED');
    } finally {
      server.fault = null;
    }
  });
  test('an unreachable endpoint is named, with the reason', async () => {
    // A port that was just listening and is now closed: connecting is refused.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/v1`;
    await new Promise((r) => probe.close(r));
    const m = await failure(ai.explain(AI, { finding: FINDING, backend: { kind: 'remote', endpoint } }), 'E_GENERATION_FAILED');
    assert.ok(m.includes(endpoint), m);
    assert.match(m, /ECONNREFUSED/);
  });
  test('a server that never answers: E_TIMEOUT after timeoutMs', async () => {
    await warm();
    server.fault = { kind: 'hang' };
    try {
      const t = performance.now();
      const m = await failure(ai.explain(AI, { finding: FINDING, parameters: PARAMS, backend: remote({ timeoutMs: 300 }) }), 'E_TIMEOUT');
      assert.match(m, /300 ms/);
      assert.ok(performance.now() - t < 5000);
    } finally {
      server.fault = null;
    }
  });
  test('a reply over the size limit', async () => {
    server.fault = { kind: 'oversize', bytes: 9 * 1024 * 1024 };
    try {
      const m = await failure(ai.explain(AI, { finding: FINDING, parameters: PARAMS, backend: remote() }), 'E_GENERATION_FAILED');
      assert.match(m, /larger than 8388608 bytes/);
    } finally {
      server.fault = null;
    }
  });
  test('replies that are JSON but not a chat completion', async () => {
    for (const body of ['null', '[]', '{"choices":[]}', '{"choices":[{"message":{"content":7}}]}']) {
      server.fault = { kind: 'raw', body };
      try {
        const m = await failure(ai.explain(AI, { finding: FINDING, parameters: PARAMS, backend: remote() }), 'E_GENERATION_FAILED');
        assert.match(m, /choices\[0\]\.message\.content/, body);
      } finally {
        server.fault = null;
      }
    }
  });
  test('an endpoint with credentials in it, or not http(s), is refused before any request', async () => {
    const at = new URL(server.endpoint);
    const m = await failure(openOpenAiBackend({ kind: 'remote', endpoint: `http://u:${API_KEY}@${at.host}/v1` }), 'E_CONFIG');
    assert.match(m, /no credentials in the URL/);
    await failure(openOpenAiBackend({ kind: 'remote', endpoint: 'file:///etc/passwd' }), 'E_CONFIG');
  });
  test('a wrong token: 401, and the token is not repeated even when the server echoes it', async () => {
    const wrong = 'sk-wrong-token-0123456789';
    await warm();
    const m = await failure(ai.explain(AI, { finding: FINDING, backend: remote({ apiKey: wrong }) }), 'E_GENERATION_FAILED');
    assert.match(m, /HTTP 401/);
    assert.ok(!m.includes(wrong), m);
    assert.equal(server.requests.at(-1)?.authorization, `Bearer ${wrong}`, 'the token was sent');
  });
  test('the token appears in no error message and no stored file', () => {
    assert.ok(messages.length >= 5);
    for (const m of messages) assert.ok(!m.includes(API_KEY) && !m.includes('sk-wrong-token'), m);
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(dataDir);
    assert.ok(files.some((f) => f.endsWith('.dsse.json')));
    for (const f of files) assert.ok(!readFileSync(f).includes(API_KEY), f);
  });
});

describe('the test server itself', () => {
  const post = (body: string, auth = `Bearer ${API_KEY}`) =>
    fetch(`${server.endpoint}/chat/completions`, { method: 'POST', body, headers: { authorization: auth } });
  test('400 with an OpenAI-style error on bad JSON or missing messages; 401 without the token', async () => {
    for (const body of ['{not json', '{"model":"tiny"}', '{"messages":[]}']) {
      const res = await post(body);
      assert.equal(res.status, 400, body);
      const e = (await res.json()) as { error: { message: string; type: string } };
      assert.equal(e.error.type, 'invalid_request_error');
      assert.ok(e.error.message.length > 0);
    }
    assert.equal((await post('{}', 'Bearer nope')).status, 401);
  });
  test('the reply has the chat.completion shape', async () => {
    const res = await post(JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], seed: 1, temperature: 0, max_tokens: 4 }));
    const b = (await res.json()) as Record<string, unknown>;
    assert.equal(b['object'], 'chat.completion');
    assert.equal(b['system_fingerprint'], 'b1-aaaaaaa');
    const [choice] = b['choices'] as { index: number; message: { role: string }; finish_reason: string }[];
    assert.deepEqual([choice?.index, choice?.message.role, choice?.finish_reason], [0, 'assistant', 'length']);
    assert.equal((b['usage'] as { completion_tokens: number }).completion_tokens, 4);
  });
});
