/**
 * Load for the Signals stress tests and `bench:signals`: fact lines and
 * callgraphs as runtime agents and scanners send them, HTTP uploads that
 * stream their bodies (node:http, so a 100 MB batch is never one string and
 * an early 413 is still read), and an RSS sampler.
 */
import { request as httpRequest, type Agent, type ClientRequest, type IncomingHttpHeaders } from 'node:http';

export interface Reply {
  readonly status: number;
  readonly text: string;
  readonly json: unknown;
  readonly headers: IncomingHttpHeaders;
}

export type Body = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** Waits for 'drain' or 'close', whichever comes first, leaving no listener behind. */
function drainedOrClosed(req: ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      req.off('drain', done);
      req.off('close', done);
      resolve();
    };
    req.on('drain', done);
    req.on('close', done);
  });
}

function chunksOf(body: Body): Iterable<Uint8Array> | AsyncIterable<Uint8Array> {
  return body instanceof Uint8Array ? [body] : body;
}

/**
 * One request; the body is written chunk by chunk with backpressure. A reply
 * that arrives before the body is fully sent (a 413 mid-upload) is what
 * resolves: the write error that follows when the server closes is expected.
 */
export function send(
  base: string,
  method: string,
  path: string,
  options: { token?: string; headers?: Record<string, string>; body?: Body; agent?: Agent } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
    // By default a connection per request (the tests of keep-alive pass their own agent).
    const req = httpRequest(new URL(path, base), { method, headers, agent: options.agent ?? false });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, text, json, headers: res.headers });
      });
    });
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    const write = async (): Promise<void> => {
      if (options.body !== undefined) {
        for await (const chunk of chunksOf(options.body)) {
          if (answered || req.destroyed) return;
          if (!req.write(chunk)) await drainedOrClosed(req);
        }
      }
      if (!req.destroyed) req.end();
    };
    write().catch((e: unknown) => {
      if (!answered) reject(e instanceof Error ? e : new Error(String(e)));
    });
  });
}

/** Symbol ids agents report: a bounded set per component, so per-batch aggregates stay small. */
export function symbolId(i: number): string {
  return `sym:java:com.example.svc.Handler${(i % 997).toString().padStart(4, '0')}.handle`;
}

/**
 * One runtime fact as an NDJSON line (with its newline). `pad` adds a
 * metadata string of that many characters, to reach a target line size.
 */
export function factLine(i: number, pad = 0, observedAt = '2026-12-02T03:00:00.000Z'): string {
  const fact: Record<string, unknown> = {
    symbolId: symbolId(i),
    hitCount: (i % 13) + 1,
    observedAt,
    processName: 'java',
    containerId: 'c0ffee0123456789',
  };
  if (pad > 0) fact['metadata'] = { pad: 'x'.repeat(pad) };
  return `${JSON.stringify(fact)}\n`;
}

/** `count` fact lines as one buffer; `salt` goes into the first fact so two batches never have the same bytes. */
export function factBatch(count: number, salt: string, pad = 0): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(factLine(i, pad));
  lines[0] = `${JSON.stringify({ symbolId: symbolId(0), hitCount: 1, observedAt: '2026-12-02T03:00:00.000Z', processName: salt })}\n`;
  return Buffer.from(lines.join(''));
}

/** A callgraph as NDJSON: `nodes` nodes (the first is the entry point), `edges` edges between them. */
export function* callgraphLines(nodes: number, edges: number): Generator<string> {
  const id = (n: number): string => `n${n.toString(36)}`;
  for (let n = 0; n < nodes; n++) yield `${JSON.stringify({ kind: 'node', id: id(n), symbol: `com.example.C${n}.m`, entry: n === 0 })}\n`;
  for (let e = 0; e < edges; e++) {
    const from = e % nodes;
    // Distinct (from, to) pairs while edges ≤ nodes × (nodes - 1).
    const to = (from + 1 + Math.floor(e / nodes)) % nodes;
    yield `${JSON.stringify({ kind: 'edge', from: id(from), to: id(to) })}\n`;
  }
}

/** The lines above in chunks of about 1 MiB. */
export function* chunked(lines: Iterable<string>, size = 1024 * 1024): Generator<Buffer> {
  let parts: string[] = [];
  let length = 0;
  for (const line of lines) {
    parts.push(line);
    length += line.length;
    if (length >= size) {
      yield Buffer.from(parts.join(''));
      parts = [];
      length = 0;
    }
  }
  if (parts.length > 0) yield Buffer.from(parts.join(''));
}

/** POST /signals/callgraphs; returns the graph id of the 201 manifest. */
export async function uploadCallgraph(
  base: string,
  token: string,
  tenant: string,
  body: Body,
  componentPurl = 'pkg:maven/com.example/svc@1.0.0',
): Promise<{ graphId: string; reply: Reply }> {
  const q = new URLSearchParams({ tenant, language: 'java', source: 'stress-test', componentPurl });
  const reply = await send(base, 'POST', `/signals/callgraphs?${q}`, {
    token,
    headers: { 'content-type': 'application/x-ndjson' },
    body,
  });
  if (reply.status !== 201) throw new Error(`callgraph upload: ${reply.status} ${reply.text.slice(0, 500)}`);
  const graphId = (reply.json as { graphId?: unknown }).graphId;
  if (typeof graphId !== 'string') throw new Error(`callgraph upload: no graphId in ${reply.text.slice(0, 500)}`);
  return { graphId, reply };
}

/** The query of POST /signals/runtime-facts. */
export function factsPath(tenant: string, graphId: string, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ tenant, callgraph_id: graphId, source: 'agent-host-1', pipeline_version: 'stress-1', ...extra });
  return `/signals/runtime-facts?${q}`;
}

/** Samples process RSS every `everyMs`; `stop()` returns the peak seen (bytes). */
export function sampleRss(everyMs = 100, read: () => number = () => process.memoryUsage().rss): { stop(): number; peak(): number } {
  let peak = read();
  const timer = setInterval(() => {
    peak = Math.max(peak, read());
  }, everyMs);
  return {
    peak: () => peak,
    stop: () => {
      clearInterval(timer);
      peak = Math.max(peak, read());
      return peak;
    },
  };
}

export const MiB = 1024 * 1024;
