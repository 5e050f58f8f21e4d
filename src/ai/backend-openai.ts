/**
 * Any OpenAI-compatible chat-completions server (llama.cpp server, vLLM,
 * Ollama): the same parameters as the local backend (`seed`, `temperature`,
 * `top_p`, `top_k`, `max_tokens`). What the server reports about itself
 * (`model`, `system_fingerprint`) is pinned so a replay can say it changed;
 * it is known only from a reply, so each generation returns its own pins.
 * Replies are untrusted: parsed field by field, bounded in size, and never
 * allowed to carry the bearer token into an error message.
 */
import { sha256Digest, type Digest } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import type { BackendSpec, GenerationBackend, GenerationOutput, GenerationRequest } from './backend.js';
import type { EnginePins } from './types.js';

type RemoteSpec = Extract<BackendSpec, { kind: 'remote' }>;

const MAX_REPLY_BYTES = 8 * 1024 * 1024;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface ChatReply {
  readonly content: string;
  readonly model: string | null;
  readonly fingerprint: string | null;
  readonly finishReason: string;
  readonly completionTokens: number;
}

/** The fields attestry reads from a `chat.completion` object; anything else in it is ignored. */
function parseChatReply(v: unknown, where: string): ChatReply {
  const choices = isObject(v) ? v['choices'] : undefined;
  const choice: unknown = Array.isArray(choices) ? choices[0] : undefined;
  const message = isObject(choice) ? choice['message'] : undefined;
  const content = isObject(message) ? message['content'] : undefined;
  if (!isObject(v) || !isObject(choice) || typeof content !== 'string')
    throw new AttestryError('E_GENERATION_FAILED', `${where}: the reply has no choices[0].message.content`);
  const usage = v['usage'];
  const tokens = isObject(usage) ? usage['completion_tokens'] : undefined;
  const str = (x: unknown): string | null => (typeof x === 'string' && x.length > 0 ? x : null);
  return {
    content,
    model: str(v['model']),
    fingerprint: str(v['system_fingerprint']),
    finishReason: str(choice['finish_reason']) ?? 'stop',
    completionTokens: typeof tokens === 'number' && Number.isInteger(tokens) && tokens >= 0 ? tokens : 0,
  };
}

/** The first model id of a GET /models list, or null. */
function firstModelId(v: unknown): string | null {
  const data = isObject(v) ? v['data'] : undefined;
  const first: unknown = Array.isArray(data) ? data[0] : undefined;
  const id = isObject(first) ? first['id'] : undefined;
  return typeof id === 'string' && id.length > 0 ? id : null;
}

/** A base URL to call: http(s), no credentials in it (they would be stored in every manifest's pins). */
function parseEndpoint(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AttestryError('E_CONFIG', `inference endpoint ${JSON.stringify(raw)} is not a URL; give e.g. http://127.0.0.1:8081/v1`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new AttestryError('E_CONFIG', `inference endpoint ${url.origin}: only http and https are supported`);
  if (url.username !== '' || url.password !== '')
    throw new AttestryError(
      'E_CONFIG',
      `inference endpoint ${url.host}: put no credentials in the URL; give the token as the API key (advisoryAi.inference.remote.apiKeyEnv, ATTESTRY_AI_API_KEY)`,
    );
  return raw.replace(/\/+$/, '');
}

/** Why fetch failed, from undici's cause (`connect ECONNREFUSED 127.0.0.1:9`), not just "fetch failed". */
function networkReason(e: unknown): string {
  const err = e as Error & { cause?: { message?: unknown; code?: unknown } };
  const detail = typeof err.cause?.message === 'string' && err.cause.message !== '' ? err.cause.message : err.cause?.code;
  return typeof detail === 'string' ? `${err.message} (${detail})` : err.message;
}

export async function openOpenAiBackend(spec: RemoteSpec): Promise<GenerationBackend> {
  const endpoint = parseEndpoint(spec.endpoint);
  const timeoutMs = spec.timeoutMs ?? 300_000;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (spec.apiKey !== undefined && spec.apiKey !== '') headers['authorization'] = `Bearer ${spec.apiKey}`;

  // A server (or a proxy in front of it) may echo the Authorization header in an error body.
  const redact = (text: string): string => {
    const t = spec.apiKey === undefined || spec.apiKey === '' ? text : text.split(spec.apiKey).join('[redacted]');
    return t.replace(/Bearer\s+\S+/gi, 'Bearer [redacted]');
  };
  const fail = (message: string, cause?: unknown): AttestryError =>
    new AttestryError('E_GENERATION_FAILED', redact(message), cause === undefined ? undefined : { cause });

  /** The body, bounded; an HTTP error says its status and the server's own error message. */
  async function readJson(res: Response, where: string): Promise<unknown> {
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > MAX_REPLY_BYTES) throw fail(`${where}: the reply is larger than ${MAX_REPLY_BYTES} bytes`);
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (res.body !== null) {
      for await (const value of res.body as unknown as AsyncIterable<Uint8Array>) {
        size += value.length;
        if (size > MAX_REPLY_BYTES) throw fail(`${where}: the reply is larger than ${MAX_REPLY_BYTES} bytes`);
        chunks.push(value);
      }
    }
    const text = Buffer.concat(chunks).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const err = isObject(json) ? json['error'] : undefined;
      const said = isObject(err) && typeof err['message'] === 'string' ? err['message'] : text;
      throw fail(`${where}: HTTP ${res.status}: ${said.slice(0, 200)}`);
    }
    if (json === undefined) throw fail(`${where}: the reply is not JSON: ${text.slice(0, 120)}`);
    return json;
  }

  async function call(path: string, init: RequestInit, signal?: AbortSignal): Promise<unknown> {
    const where = `${endpoint}${path}`;
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const res = await fetch(where, {
        ...init,
        headers: init.body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
      // Reading the body is inside the try: the timeout also covers a server that stalls mid-reply.
      return await readJson(res, where);
    } catch (e) {
      if (e instanceof AttestryError) throw e;
      if (timeout.aborted) throw new AttestryError('E_TIMEOUT', `${where} did not answer within ${timeoutMs} ms`);
      if (signal?.aborted === true) throw fail(`${where}: the request was cancelled`, e);
      throw fail(`cannot reach the inference server ${endpoint}: ${networkReason(e)}`, e);
    }
  }

  let modelId = spec.model;
  if (modelId === undefined) {
    const listed = firstModelId(await call('/models', { method: 'GET' }));
    if (listed === null) throw fail(`${endpoint}/models lists no model; name one (advisoryAi.inference.remote.model)`);
    modelId = listed;
  }
  const requested = modelId;
  // Without a reported digest the model id stands in, so a replay still notices another model.
  const weightsDigest: Digest = spec.weightsDigest ?? sha256Digest(`openai-compatible:${requested}`);

  /** Before a reply the server's version is unknown ('unknown' / null: never a mismatch in pins.ts). */
  const pinsFor = (model: string, version: string | null): EnginePins => ({
    engine: 'openai-compatible',
    engineVersion: version ?? 'unknown',
    backend: 'remote',
    gpu: null,
    threads: null,
    batchSize: null,
    contextSize: null,
    promptCache: false,
    tokenizerDigest: null,
    chatTemplateDigest: null,
    remote: { endpoint, modelId: model, version },
  });

  async function generate(request: GenerationRequest): Promise<GenerationOutput> {
    const p = request.parameters;
    const started = performance.now();
    const body = {
      model: requested,
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
    const where = `${endpoint}/chat/completions`;
    const reply = parseChatReply(await call('/chat/completions', { method: 'POST', body: JSON.stringify(body) }, request.signal), where);
    return {
      content: reply.content,
      tokenCount: reply.completionTokens,
      finishReason: reply.finishReason,
      durationMs: performance.now() - started,
      pins: pinsFor(reply.model ?? requested, reply.fingerprint),
    };
  }

  return { modelId: requested, weightsDigest, pins: () => pinsFor(requested, null), generate, close: async () => undefined };
}
