/**
 * Local GGUF models through node-llama-cpp (an optional dependency), on the
 * CPU. Greedy decoding (temperature 0, topK 1, topP 1) with a fixed seed; a
 * fresh context per generation, so no prompt (KV) cache is ever reused.
 * Prompts are sent as plain completion text in one fixed, pinned format
 * (PROMPT_FORMAT) rather than through a model's chat template, so any
 * llama-architecture GGUF generates the same way on every machine.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { canonicalize } from '../core/canonical-json.js';
import { digestFromHex, sha256Digest, type Digest } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import { createStreamHasher } from '../models/hashers.js';
import { modelDigest } from '../models/inspect.js';
import type { BackendSpec, GenerationBackend, GenerationOutput, GenerationRequest } from './backend.js';
import type * as NodeLlamaCppModule from 'node-llama-cpp';
import type { EnginePins } from './types.js';

type LocalSpec = Extract<BackendSpec, { kind: 'local' }>;
type NodeLlamaCpp = typeof NodeLlamaCppModule;

/** The text the model is given; its digest is the manifest's `engine.chatTemplateDigest`. */
export const PROMPT_FORMAT = 'attestry-plain-v1:{system}\n\n{user}\n\n';
const renderPrompt = (system: string, user: string): string => `${system}\n\n${user}\n\n`;

export const LLAMA_PACKAGE = 'node-llama-cpp';
const INSTALL_HINT = `npm install ${LLAMA_PACKAGE}@3.22.1`;

/** Loads node-llama-cpp, or says which package is missing and how to add it. */
export async function importLlama(name = LLAMA_PACKAGE): Promise<NodeLlamaCpp> {
  try {
    return (await import(name)) as NodeLlamaCpp;
  } catch (e) {
    throw new AttestryError(
      'E_DEPENDENCY_MISSING',
      `local models need the optional package ${name}, which is not installed (${(e as Error).message.split('\n')[0] ?? ''}); install it with \`${INSTALL_HINT}\`, or use an OpenAI-compatible server (--endpoint URL)`,
      { cause: e },
    );
  }
}

async function packageVersion(): Promise<string> {
  try {
    const url = new URL('../package.json', import.meta.resolve(LLAMA_PACKAGE));
    return (JSON.parse(await readFile(url, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** sha256 of the model file, streamed: the #3 engine's file digest (the OMS resource digest of a one-file model). */
export async function weightsDigestOf(path: string): Promise<Digest> {
  const h = createStreamHasher('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return digestFromHex(h.digestHex());
}

/** The GGUF file node-llama-cpp loads from a directory: its one .gguf, or the first part of a split model. */
export function ggufInDirectory(dir: string, names: readonly string[]): string {
  const ggufs = names.filter((n) => n.toLowerCase().endsWith('.gguf')).sort();
  if (ggufs.length === 1) return join(dir, ggufs[0] as string);
  // llama.cpp's split naming: name-00001-of-00003.gguf; the loader finds the other parts from the first.
  const first = ggufs.filter((n) => /-00001-of-\d{5}\.gguf$/i.test(n));
  if (first.length === 1) return join(dir, first[0] as string);
  throw new AttestryError(
    'E_INVALID_INPUT',
    ggufs.length === 0
      ? `model directory ${dir} holds no .gguf file; give the .gguf file or a directory with one`
      : `model directory ${dir} holds ${ggufs.length} .gguf files (${ggufs.slice(0, 5).join(', ')}); give the one to load`,
  );
}

/**
 * The file to load and the weights digest to pin: for a file, its sha256 (the
 * #3 engine's file digest); for a directory, its OMS root digest (the digest
 * `attestry model sign` would sign, over every file in it).
 */
async function modelSource(path: string): Promise<{ file: string; weightsDigest: Promise<Digest> }> {
  let s;
  try {
    s = await stat(path);
  } catch (e) {
    throw new AttestryError(
      'E_NOT_FOUND',
      `model ${path} does not exist; give a .gguf file or a directory holding one (--model PATH or advisoryAi.inference.local.modelPath)`,
      { cause: e },
    );
  }
  if (s.isFile()) return { file: path, weightsDigest: weightsDigestOf(path) };
  if (!s.isDirectory()) throw new AttestryError('E_INVALID_INPUT', `model ${path} is neither a file nor a directory`);
  const file = ggufInDirectory(path, await readdir(path));
  return { file, weightsDigest: modelDigest(path).then((d) => d.rootDigest) };
}

export async function openLlamaBackend(spec: LocalSpec, packageName = LLAMA_PACKAGE): Promise<GenerationBackend> {
  const lib = await importLlama(packageName);
  const source = await modelSource(spec.modelPath);
  const path = source.file;
  const threads = Math.max(1, Math.min(spec.threads ?? 2, availableParallelism()));
  const contextSize = spec.contextSize ?? 2048;
  const batchSize = spec.batchSize ?? 512;
  const [weightsDigest, engineVersion] = await Promise.all([source.weightsDigest, packageVersion()]);
  let llama: Awaited<ReturnType<NodeLlamaCpp['getLlama']>>;
  let model: Awaited<ReturnType<typeof llama.loadModel>>;
  try {
    // build: 'never' — without a prebuilt binary node-llama-cpp would silently compile llama.cpp for minutes.
    llama = await lib.getLlama({ gpu: false, build: 'never', logLevel: lib.LlamaLogLevel.error });
    model = await llama.loadModel({ modelPath: path });
  } catch (e) {
    throw new AttestryError('E_GENERATION_FAILED', `cannot load model ${path}: ${(e as Error).message}`, { cause: e });
  }
  const tokenizer = model.fileInfo.metadata.tokenizer as unknown;
  const tokenizerDigest = sha256Digest(canonicalize(tokenizer ?? null));
  const pins: EnginePins = {
    engine: LLAMA_PACKAGE,
    engineVersion,
    backend: 'cpu',
    gpu: null,
    threads,
    batchSize,
    contextSize,
    promptCache: false,
    tokenizerDigest,
    chatTemplateDigest: sha256Digest(PROMPT_FORMAT),
    remote: null,
  };
  // One generation at a time per loaded model: the CPU is the bottleneck, and order stays reproducible.
  let queue: Promise<unknown> = Promise.resolve();

  async function generateOnce(request: GenerationRequest): Promise<GenerationOutput> {
    const p = request.parameters;
    if (p.seed === null && p.temperature > 0) {
      throw new AttestryError('E_NONDETERMINISTIC', 'sampling with temperature > 0 needs a seed (advisoryAi.inference.local.seed)');
    }
    const started = performance.now();
    const context = await model.createContext({ contextSize, threads, batchSize, ...(p.seed === null ? {} : { seed: p.seed }) });
    try {
      const completion = new lib.LlamaCompletion({ contextSequence: context.getSequence() });
      const prompt = renderPrompt(request.systemPrompt, request.userPrompt);
      let tokenCount = 0;
      const content = await completion.generateCompletion(prompt, {
        maxTokens: p.maxTokens,
        temperature: p.temperature,
        ...(p.seed === null ? {} : { seed: p.seed }),
        topK: p.topK,
        topP: p.topP,
        signal: request.signal,
        onToken: (tokens) => {
          tokenCount += tokens.length;
        },
      });
      return {
        content,
        tokenCount,
        finishReason: tokenCount >= p.maxTokens ? 'length' : 'stop',
        durationMs: performance.now() - started,
      };
    } catch (e) {
      if (e instanceof AttestryError) throw e;
      throw new AttestryError('E_GENERATION_FAILED', `model ${basename(path)} failed to generate: ${(e as Error).message}`, { cause: e });
    } finally {
      await context.dispose();
    }
  }

  return {
    modelId: basename(path).replace(/\.gguf$/i, ''),
    weightsDigest,
    pins: () => pins,
    generate(request) {
      const run = queue.then(() => generateOnce(request));
      queue = run.catch(() => undefined);
      return run;
    },
    async close() {
      await model.dispose();
    },
  };
}
