/**
 * What a replay would do differently from the original generation, named
 * before anything is generated: the seed's "Common Divergence Causes" plus
 * the engine pins attestry records. A null pin on either side is unknown,
 * not a mismatch.
 */
import type { JsonValue } from '../core/canonical-json.js';
import { sha256Digest, type Digest } from '../core/digest.js';
import type { ContextDocument, EnginePins, GenerationParameters, ReplayCause, ReplayManifest } from './types.js';

export interface ReplaySetup {
  readonly modelId: string;
  readonly weightsDigest: Digest;
  readonly parameters: GenerationParameters;
  readonly templateVersion: string;
  readonly templateDigest: Digest | null;
  readonly systemPrompt: string;
  readonly userPrompt: string;
  readonly contextPack: readonly ContextDocument[];
  readonly pins: EnginePins;
}

const ENGINE_WHY =
  'llama.cpp output can change with thread count, batch size and prompt-cache reuse; vLLM is reproducible only with batch-invariant kernels on the same hardware and version';

function c(cause: string, field: string, expected: JsonValue, actual: JsonValue, description: string, resolution: string): ReplayCause {
  return { cause, field, expected, actual, description, resolution };
}

const differs = (a: unknown, b: unknown): boolean =>
  a !== null && b !== null && a !== undefined && b !== undefined && JSON.stringify(a) !== JSON.stringify(b);

function contextCause(m: ReplayManifest, pack: readonly ContextDocument[]): ReplayCause | undefined {
  const before = m.context.contextPack;
  const had = new Map(before.map((d) => [d.name, d.digest]));
  const has = new Map(pack.map((d) => [d.name, d.digest]));
  const notes: string[] = [];
  for (const [name, digest] of had) {
    const now = has.get(name);
    if (now === undefined) notes.push(`${name} removed`);
    else if (now !== digest) notes.push(`${name} changed`);
  }
  for (const name of has.keys()) if (!had.has(name)) notes.push(`${name} added`);
  const hashes = pack.map((d) => sha256Digest(d.content));
  if (notes.length === 0 && JSON.stringify(hashes) === JSON.stringify(m.context.contextHashes)) return undefined;
  return c(
    'context',
    'context.contextHashes',
    [...m.context.contextHashes],
    hashes,
    `Context ordering: context hash mismatch${notes.length > 0 ? ` (${notes.join(', ')})` : ' (order differs)'}`,
    'Sort context deterministically and use the recorded documents',
  );
}

export function comparePins(m: ReplayManifest, s: ReplaySetup): ReplayCause[] {
  const out: ReplayCause[] = [];
  if (s.weightsDigest !== m.model.weightsDigest)
    out.push(
      c(
        'weights',
        'model.weightsDigest',
        m.model.weightsDigest,
        s.weightsDigest,
        `Different model weights: weights digest mismatch (recorded ${m.model.modelId}, replaying ${s.modelId})`,
        'Use exact model version',
      ),
    );
  const p = m.parameters;
  const q = s.parameters;
  if (p.temperature !== q.temperature)
    out.push(
      c(
        'temperature',
        'parameters.temperature',
        p.temperature,
        q.temperature,
        'Non-zero temperature: parameter check',
        'Set temperature to 0',
      ),
    );
  if (p.seed !== q.seed) out.push(c('seed', 'parameters.seed', p.seed, q.seed, 'Different seed: parameter check', 'Use same seed'));
  if (p.maxTokens !== q.maxTokens)
    out.push(
      c(
        'max-tokens',
        'parameters.maxTokens',
        p.maxTokens,
        q.maxTokens,
        'Different maxTokens: the output is cut at another length',
        'Use the recorded maxTokens',
      ),
    );
  if (p.topK !== q.topK) out.push(c('top-k', 'parameters.topK', p.topK, q.topK, 'Different topK: parameter check', 'Use topK 1 (greedy)'));
  if (p.topP !== q.topP) out.push(c('top-p', 'parameters.topP', p.topP, q.topP, 'Different topP: parameter check', 'Use topP 1.0'));
  if (s.templateVersion !== m.model.promptTemplateVersion)
    out.push(
      c(
        'template-version',
        'model.promptTemplateVersion',
        m.model.promptTemplateVersion,
        s.templateVersion,
        'Prompt template change: template version mismatch',
        'Pin template version',
      ),
    );
  else if (s.templateDigest !== null && s.templateDigest !== m.model.templateDigest)
    out.push(
      c(
        'template',
        'model.templateDigest',
        m.model.templateDigest,
        s.templateDigest,
        `Prompt template change: template ${s.templateVersion} has other bytes in this build`,
        'Pin template version (ship the recorded template file)',
      ),
    );
  const sys = sha256Digest(s.systemPrompt);
  const user = sha256Digest(s.userPrompt);
  if (sys !== m.prompts.systemPromptHash || user !== m.prompts.userPromptHash)
    out.push(
      c(
        'prompts',
        sys !== m.prompts.systemPromptHash ? 'prompts.systemPromptHash' : 'prompts.userPromptHash',
        sys !== m.prompts.systemPromptHash ? m.prompts.systemPromptHash : m.prompts.userPromptHash,
        sys !== m.prompts.systemPromptHash ? sys : user,
        'Prompts do not match: prompt hash mismatch (the rendered prompt differs from the recorded one)',
        'Use the recorded template version and context',
      ),
    );
  const ctx = contextCause(m, s.contextPack);
  if (ctx !== undefined) out.push(ctx);
  const a = m.engine;
  const b = s.pins;
  const engine: [string, keyof EnginePins, string][] = [
    ['engine', 'engine', 'Different inference engine'],
    ['engine-version', 'engineVersion', 'Different engine version'],
    ['backend', 'backend', 'Different compute backend'],
    ['threads', 'threads', 'Different thread count'],
    ['batch-size', 'batchSize', 'Different batch size'],
    ['context-size', 'contextSize', 'Different context size'],
    ['prompt-cache', 'promptCache', 'Prompt cache setting differs'],
    ['tokenizer', 'tokenizerDigest', 'Different tokenizer'],
    ['chat-template', 'chatTemplateDigest', 'Different chat template'],
  ];
  for (const [cause, key, what] of engine)
    if (differs(a[key], b[key]))
      out.push(c(cause, `engine.${key}`, a[key], b[key], `${what}: ${ENGINE_WHY}`, `Replay with the recorded ${key}`));
  if (a.remote !== null && b.remote !== null && (a.remote.modelId !== b.remote.modelId || differs(a.remote.version, b.remote.version)))
    out.push(
      c(
        'remote-model',
        'engine.remote',
        a.remote,
        b.remote,
        'The inference server reports another model or version',
        'Serve the recorded model and server version',
      ),
    );
  return out;
}
