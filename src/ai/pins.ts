/**
 * Pin comparison before a replay (seed 002 "Common Divergence Causes"): every
 * pinned input or engine setting that differs becomes one named cause, so a
 * divergence can be explained before generating. A null pin on either side
 * means "not known there" and is never a mismatch.
 */
import type { Digest } from '../core/digest.js';
import { sha256Digest } from '../core/digest.js';
import type { JsonValue } from '../core/canonical-json.js';
import type { ContextDocument, EnginePins, GenerationParameters, ReplayCause, ReplayManifest } from './types.js';

export interface ReplaySetup {
  modelId: string;
  weightsDigest: Digest;
  parameters: GenerationParameters;
  templateVersion: string;
  templateDigest: Digest | null;
  systemPrompt: string;
  userPrompt: string;
  contextPack: readonly ContextDocument[];
  pins: EnginePins;
}

const LLAMA = 'llama.cpp output can change with thread count, batch size and prompt-cache reuse';
const VLLM = 'vLLM is reproducible only with batch-invariant kernels on the same hardware and version';

type Words = { description: string; resolution: string };
const PARAMS: ReadonlyArray<[string, keyof GenerationParameters, Words]> = [
  ['temperature', 'temperature', { description: 'Non-zero temperature: Parameter check', resolution: 'Set temperature to 0' }],
  ['seed', 'seed', { description: 'Different seed: Parameter check', resolution: 'Use same seed' }],
  [
    'max-tokens',
    'maxTokens',
    { description: 'Different maxTokens: Parameter check (output may be cut at another length)', resolution: 'Use the manifest maxTokens' },
  ],
  ['top-k', 'topK', { description: 'Different topK: Parameter check', resolution: 'Set topK to 1' }],
  ['top-p', 'topP', { description: 'Different topP: Parameter check', resolution: 'Set topP to 1.0' }],
];

const ENGINE: ReadonlyArray<[string, keyof EnginePins, Words]> = [
  [
    'engine',
    'engine',
    { description: `Different inference engine: engine pin mismatch; ${VLLM}`, resolution: 'Replay with the same engine' },
  ],
  [
    'engine-version',
    'engineVersion',
    {
      description: 'Different engine version: engine pin mismatch (kernels and sampling change between versions)',
      resolution: 'Use the exact engine version',
    },
  ],
  [
    'backend',
    'backend',
    {
      description: `Different compute backend: engine pin mismatch (CPU and GPU kernels round differently); ${VLLM}`,
      resolution: 'Use the same backend',
    },
  ],
  ['threads', 'threads', { description: `Different thread count: engine pin mismatch; ${LLAMA}`, resolution: 'Use the same thread count' }],
  [
    'batch-size',
    'batchSize',
    { description: `Different batch size: engine pin mismatch; ${LLAMA}`, resolution: 'Use the same batch size' },
  ],
  [
    'context-size',
    'contextSize',
    {
      description: 'Different context size: engine pin mismatch (it changes memory layout and truncation)',
      resolution: 'Use the same context size',
    },
  ],
  [
    'prompt-cache',
    'promptCache',
    { description: `Prompt cache reuse differs: engine pin mismatch; ${LLAMA}`, resolution: 'Generate with the prompt cache off' },
  ],
  [
    'tokenizer',
    'tokenizerDigest',
    { description: 'Different tokenizer: tokenizer digest mismatch', resolution: 'Use the model file with the same tokenizer' },
  ],
  [
    'chat-template',
    'chatTemplateDigest',
    { description: 'Different chat template: chat template digest mismatch', resolution: 'Use the same chat template' },
  ],
];

/**
 * `engineVersion` is a string, so backends write `unknown` where they cannot say (a remote server
 * before its first reply, a package without a readable version): as unknown as null.
 */
const known = (v: JsonValue): boolean => v !== null && v !== 'unknown';

function cause(name: string, field: string, expected: JsonValue, actual: JsonValue, w: Words): ReplayCause {
  return { cause: name, field, expected, actual, description: w.description, resolution: w.resolution };
}

export function comparePins(manifest: ReplayManifest, setup: ReplaySetup): ReplayCause[] {
  const out: ReplayCause[] = [];
  if (manifest.model.weightsDigest !== setup.weightsDigest) {
    out.push(
      cause('weights', 'model.weightsDigest', manifest.model.weightsDigest, setup.weightsDigest, {
        description: 'Different model weights: Weights digest mismatch',
        resolution: 'Use exact model version',
      }),
    );
  }
  for (const [name, key, w] of PARAMS) {
    const e = manifest.parameters[key];
    const a = setup.parameters[key];
    if (e !== null && a !== null && e !== a) out.push(cause(name, `parameters.${key}`, e, a, w));
  }
  if (manifest.model.promptTemplateVersion !== setup.templateVersion) {
    out.push(
      cause('template-version', 'model.promptTemplateVersion', manifest.model.promptTemplateVersion, setup.templateVersion, {
        description: 'Prompt template change: Template version mismatch',
        resolution: 'Pin template version',
      }),
    );
  } else if (setup.templateDigest !== null && manifest.model.templateDigest !== setup.templateDigest) {
    out.push(
      cause('template', 'model.templateDigest', manifest.model.templateDigest, setup.templateDigest, {
        description: `Prompt template change: template ${setup.templateVersion} has other bytes here (template digest mismatch)`,
        resolution: 'Pin template version and ship the same template file',
      }),
    );
  }
  out.push(...promptCauses(manifest, setup), ...contextCauses(manifest, setup.contextPack));
  for (const [name, key, w] of ENGINE) {
    const e = manifest.engine[key] as JsonValue;
    const a = setup.pins[key] as JsonValue;
    if (known(e) && known(a) && e !== a) out.push(cause(name, `engine.${key}`, e, a, w));
  }
  const er = manifest.engine.remote;
  const ar = setup.pins.remote;
  if (
    er !== null &&
    ar !== null &&
    (er.modelId !== ar.modelId || (er.version !== null && ar.version !== null && er.version !== ar.version))
  ) {
    out.push(
      cause(
        'remote-model',
        'engine.remote',
        { modelId: er.modelId, version: er.version },
        { modelId: ar.modelId, version: ar.version },
        {
          description: 'Different remote model: the server reports another model id or version',
          resolution: 'Use the same served model and server version',
        },
      ),
    );
  }
  return out;
}

function promptCauses(manifest: ReplayManifest, setup: ReplaySetup): ReplayCause[] {
  const sys = sha256Digest(setup.systemPrompt);
  const usr = sha256Digest(setup.userPrompt);
  const which: string[] = [];
  if (manifest.prompts.systemPromptHash !== sys) which.push('systemPrompt');
  if (manifest.prompts.userPromptHash !== usr) which.push('userPrompt');
  if (which.length === 0) return [];
  return [
    cause(
      'prompts',
      which.map((w) => `prompts.${w}Hash`).join(', '),
      { systemPromptHash: manifest.prompts.systemPromptHash, userPromptHash: manifest.prompts.userPromptHash },
      { systemPromptHash: sys, userPromptHash: usr },
      {
        description: `Prompt hash mismatch: ${which.join(' and ')} differ(s)`,
        resolution: 'Pin template version and render from the manifest inputs',
      },
    ),
  ];
}

function contextCauses(manifest: ReplayManifest, pack: readonly ContextDocument[]): ReplayCause[] {
  const actual = pack.map((d) => d.digest);
  const expected = manifest.context.contextHashes;
  if (expected.length === actual.length && expected.every((h, i) => h === actual[i])) return [];
  const before = new Map(manifest.context.contextPack.map((d) => [d.name, d.digest]));
  const after = new Map(pack.map((d) => [d.name, d.digest]));
  const notes: string[] = [];
  for (const [name, d] of before) {
    if (!after.has(name)) notes.push(`removed ${name}`);
    else if (after.get(name) !== d) notes.push(`changed ${name}`);
  }
  for (const name of after.keys()) if (!before.has(name)) notes.push(`added ${name}`);
  if (notes.length === 0) notes.push('same documents in another order');
  return [
    cause('context', 'context.contextHashes', [...expected], actual, {
      description: `Context ordering: Context hash mismatch (${notes.join(', ')})`,
      resolution: 'Sort context deterministically',
    }),
  ];
}
