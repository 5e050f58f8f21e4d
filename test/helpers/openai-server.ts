/**
 * A real OpenAI-compatible HTTP server for tests (not a test file itself):
 * node:http on 127.0.0.1, the subset of the chat-completions protocol that
 * llama.cpp's `llama-server` speaks (GET /v1/models, POST
 * /v1/chat/completions without streaming). Inference is the repo's own local
 * backend (openLlamaBackend) on the tiny GGUF, so its output can be compared
 * byte for byte with a local generation. Tests can change what it reports
 * (`fingerprint`, `modelId`) and make it misbehave (`fault`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { openLlamaBackend } from '../../src/ai/backend-llama.js';
import type { GenerationBackend } from '../../src/ai/backend.js';
import type { GenerationParameters } from '../../src/ai/types.js';

/** How the next requests go wrong: an HTTP status, no answer at all, a reply over the client's limit, or these raw bytes. */
export type ServerFault =
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'hang' }
  | { readonly kind: 'oversize'; readonly bytes: number }
  | { readonly kind: 'raw'; readonly body: string };

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body: unknown;
}

export interface OpenAiTestServer {
  /** Base URL the backend is given, ending in `/v1`. */
  readonly endpoint: string;
  /** What every reply reports as `system_fingerprint` (llama.cpp: `b<build>-<commit>`); set it to simulate an upgrade. */
  fingerprint: string;
  /** The id GET /v1/models lists and every reply reports as `model`. */
  modelId: string;
  fault: ServerFault | null;
  /** Every request, in order (the body parsed when it was JSON). */
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

export interface OpenAiServerOptions {
  readonly modelPath: string;
  readonly modelId?: string;
  readonly fingerprint?: string;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string;
  readonly threads?: number;
}

const MAX_BODY = 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, 'invalid_request_error', `request body over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A number field with llama.cpp's default when absent; 400 when present with another type. */
function num(body: Record<string, unknown>, key: string, fallback: number): number {
  const v = body[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new HttpError(400, 'invalid_request_error', `"${key}" must be a number`);
  return v;
}

/** Maps the request onto the local backend's request: system → systemPrompt, user → userPrompt. */
function parseChat(text: string): { systemPrompt: string; userPrompt: string; parameters: GenerationParameters } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_request_error', 'the request body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, 'invalid_request_error', 'the request body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (b['stream'] === true) throw new HttpError(400, 'invalid_request_error', 'streaming is not supported by this server');
  const messages = b['messages'];
  if (!Array.isArray(messages) || messages.length === 0)
    throw new HttpError(400, 'invalid_request_error', '"messages" is required and must be a non-empty array');
  const system: string[] = [];
  const user: string[] = [];
  for (const [i, m] of messages.entries()) {
    const { role, content } = (typeof m === 'object' && m !== null ? m : {}) as { role?: unknown; content?: unknown };
    if (typeof content !== 'string') throw new HttpError(400, 'invalid_request_error', `messages[${i}].content must be a string`);
    if (role === 'system') system.push(content);
    else if (role === 'user') user.push(content);
    else throw new HttpError(400, 'invalid_request_error', `messages[${i}].role must be "system" or "user"`);
  }
  const seed = b['seed'] === undefined ? null : num(b, 'seed', 0);
  return {
    systemPrompt: system.join('\n'),
    userPrompt: user.join('\n'),
    // Absent fields take llama-server's defaults (temperature 0.8, top_k 40, top_p 0.95); max_tokens is capped for the tiny model.
    parameters: {
      temperature: num(b, 'temperature', 0.8),
      topK: num(b, 'top_k', 40),
      topP: num(b, 'top_p', 0.95),
      maxTokens: num(b, 'max_tokens', 256),
      seed,
    },
  };
}

export async function startOpenAiServer(options: OpenAiServerOptions): Promise<OpenAiTestServer> {
  const model: GenerationBackend = await openLlamaBackend({ kind: 'local', modelPath: options.modelPath, threads: options.threads ?? 1 });
  const requests: SeenRequest[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const text = req.method === 'POST' ? await readBody(req) : '';
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // kept as text: parseChat answers 400
    }
    requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, body: parsed });
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      // Echoes what it was given, as OpenAI's own 401 echoes part of a wrong key: the client must not repeat it.
      throw new HttpError(401, 'invalid_request_error', `Incorrect API key provided: ${req.headers.authorization ?? '(none)'}`);
    }
    const fault = server.fault;
    if (fault?.kind === 'hang') return; // no answer; close() ends the socket
    if (fault?.kind === 'status') throw new HttpError(fault.status, 'server_error', `simulated failure ${fault.status}`);
    if (fault?.kind === 'raw') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(fault.body);
      return;
    }
    if (fault?.kind === 'oversize') {
      // No content-length: the client can only notice while reading.
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      for (let sent = 0; sent < fault.bytes && !res.destroyed; sent += chunk.length)
        if (!res.write(chunk)) await new Promise((r) => res.once('drain', r).once('close', r));
      res.end();
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      send(res, 200, { object: 'list', data: [{ id: server.modelId, object: 'model', created: 0, owned_by: 'attestry-test' }] });
      return;
    }
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      const chat = parseChat(text);
      const out = await model.generate(chat);
      send(res, 200, {
        id: `chatcmpl-${randomUUID()}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: server.modelId,
        system_fingerprint: server.fingerprint,
        choices: [{ index: 0, message: { role: 'assistant', content: out.content }, finish_reason: out.finishReason }],
        // The local backend does not count prompt tokens; the client reads only completion_tokens.
        usage: { prompt_tokens: 0, completion_tokens: out.tokenCount, total_tokens: out.tokenCount },
      });
      return;
    }
    throw new HttpError(404, 'not_found_error', `no route ${req.method ?? ''} ${path}`);
  }

  const http = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      const type = e instanceof HttpError ? e.type : 'server_error';
      if (!res.headersSent) send(res, status, { error: { message: (e as Error).message, type, code: status } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;

  const server: OpenAiTestServer = {
    endpoint: `http://127.0.0.1:${port}/v1`,
    fingerprint: options.fingerprint ?? 'b1-attestry',
    modelId: options.modelId ?? 'tiny',
    fault: null,
    requests,
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await model.close();
    },
  };
  return server;
}
