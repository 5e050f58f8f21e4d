/**
 * Any OpenAI-compatible chat-completions server (llama.cpp server, vLLM,
 * Ollama): the same parameters as the local backend (`seed`, `temperature`,
 * `top_p`, `top_k`, `max_tokens`). What the server reports about itself
 * (`model`, `system_fingerprint`) is pinned so a replay can say it changed.
 */
import { sha256Digest, type Digest } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import type { BackendSpec, GenerationBackend, GenerationOutput, GenerationRequest } from './backend.js';
import type { EnginePins } from './types.js';

type RemoteSpec = Extract<BackendSpec, { kind: 'remote' }>;

const MAX_REPLY_BYTES = 8 * 1024 * 1024;

interface ChatReply {
  model?: unknown;
  system_fingerprint?: unknown;
  choices?: { message?: { content?: unknown }; finish_reason?: unknown }[];
  usage?: { completion_tokens?: unknown };
}

async function readJson(res: Response, what: string): Promise<unknown> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body !== null) {
    for await (const value of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += value.length;
      if (size > MAX_REPLY_BYTES)
        throw new AttestryError('E_GENERATION_FAILED', `${what}: the reply is larger than ${MAX_REPLY_BYTES} bytes`);
      chunks.push(value);
    }
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!res.ok) throw new AttestryError('E_GENERATION_FAILED', `${what}: HTTP ${res.status}: ${text.slice(0, 200)}`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AttestryError('E_GENERATION_FAILED', `${what}: the reply is not JSON: ${text.slice(0, 120)}`);
  }
}

export async function openOpenAiBackend(spec: RemoteSpec): Promise<GenerationBackend> {
  const endpoint = spec.endpoint.replace(/\/+$/, '');
  const timeoutMs = spec.timeoutMs ?? 300_000;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (spec.apiKey !== undefined) headers['authorization'] = `Bearer ${spec.apiKey}`;

  async function call(path: string, init: RequestInit, signal?: AbortSignal): Promise<unknown> {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const res = await fetch(`${endpoint}${path}`, {
        ...init,
        headers,
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
      return await readJson(res, `${endpoint}${path}`);
    } catch (e) {
      if (e instanceof AttestryError) throw e;
      if ((e as Error).name === 'TimeoutError')
        throw new AttestryError('E_TIMEOUT', `${endpoint}${path} did not answer within ${timeoutMs} ms`);
      throw new AttestryError('E_GENERATION_FAILED', `cannot reach the inference server ${endpoint}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  let modelId = spec.model;
  if (modelId === undefined) {
    const list = (await call('/models', { method: 'GET' })) as { data?: { id?: unknown }[] };
    const first = list.data?.[0]?.id;
    if (typeof first !== 'string')
      throw new AttestryError('E_GENERATION_FAILED', `${endpoint}/models lists no model; name one (advisoryAi.inference.remote.model)`);
    modelId = first;
  }
  // Without a reported digest the model id stands in, so a replay still notices another model.
  const weightsDigest: Digest = spec.weightsDigest ?? sha256Digest(`openai-compatible:${modelId}`);
  let reported: { model: string; version: string | null } = { model: modelId, version: null };

  const pins = (): EnginePins => ({
    engine: 'openai-compatible',
    engineVersion: reported.version ?? 'unknown',
    backend: 'remote',
    gpu: null,
    threads: null,
    batchSize: null,
    contextSize: null,
    promptCache: false,
    tokenizerDigest: null,
    chatTemplateDigest: null,
    remote: { endpoint, modelId: reported.model, version: reported.version },
  });

  async function generate(request: GenerationRequest): Promise<GenerationOutput> {
    const p = request.parameters;
    const started = performance.now();
    const body = {
      model: modelId,
      messages: [
        { role: 'system', content: request.systemPrompt },
        { role: 'user', content: request.userPrompt },
      ],
      temperature: p.temperature,
      top_p: p.topP,
      top_k: p.topK,
      max_tokens: p.maxTokens,
      ...(p.seed === null ? {} : { seed: p.seed }),
      cache_prompt: false,
      stream: false,
    };
    const reply = (await call('/chat/completions', { method: 'POST', body: JSON.stringify(body) }, request.signal)) as ChatReply;
    const choice = reply.choices?.[0];
    const content = choice?.message?.content;
    if (typeof content !== 'string')
      throw new AttestryError('E_GENERATION_FAILED', `${endpoint}/chat/completions: the reply has no choices[0].message.content`);
    reported = {
      model: typeof reply.model === 'string' ? reply.model : (modelId as string),
      version: typeof reply.system_fingerprint === 'string' ? reply.system_fingerprint : null,
    };
    const tokens = reply.usage?.completion_tokens;
    return {
      content,
      tokenCount: typeof tokens === 'number' && Number.isInteger(tokens) && tokens >= 0 ? tokens : 0,
      finishReason: typeof choice?.finish_reason === 'string' ? choice.finish_reason : 'stop',
      durationMs: performance.now() - started,
    };
  }

  return { modelId, weightsDigest, pins, generate, close: async () => undefined };
}
