import { AttestryError } from '../core/errors.js';
import { parseJsonBounded } from '../core/bounded-json.js';
import { HttpClient } from '../core/http-client.js';

/**
 * A small HTTP client for a log's public read API (no token: logs are
 * public). Errors name the URL; of the server's codes only "not found" and
 * "invalid input" are kept, since a public log is not trusted to say more
 * about our side (anything else is the log being unavailable).
 */
export class LogClient {
  readonly base: URL;
  readonly #http: HttpClient;

  constructor(server: string, fetchImpl: typeof fetch = fetch) {
    this.#http = new HttpClient(server, {
      fetch: fetchImpl,
      errors: { keep: ['E_NOT_FOUND', 'E_INVALID_INPUT'], otherwise: 'E_UNAVAILABLE', showQuery: true },
    });
    this.base = this.#http.base;
  }

  async json<T>(path: string): Promise<T> {
    return (await this.#http.json('GET', path)) as T;
  }

  async checkpoint(): Promise<string> {
    return (await this.#http.send('GET', 'tlog/checkpoint')).text();
  }

  async key(): Promise<{ origin: string; verifierKey: string }> {
    return this.json('api/v1/log/key');
  }

  async consistency(from: number, to: number): Promise<Buffer[]> {
    const r = await this.json<{ hashes: string[] }>(`api/v1/log/proof/consistency?from=${from}&to=${to}`);
    return r.hashes.map((h) => Buffer.from(h, 'hex'));
  }

  async inclusion(query: {
    index?: number;
    leaf?: string;
    size: number;
  }): Promise<{ index: number; treeSize: number; rootHash: string; hashes: string[] }> {
    const q = new URLSearchParams({ size: String(query.size) });
    if (query.index !== undefined) q.set('index', String(query.index));
    if (query.leaf !== undefined) q.set('leaf', query.leaf);
    return this.json(`api/v1/log/proof/inclusion?${q.toString()}`);
  }

  async postCosignature(note: string): Promise<unknown> {
    const reply = await this.#http.request('POST', 'api/v1/log/cosignatures', {
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: note,
      purpose: 'to send the cosignature',
    });
    const text = reply.text();
    // The log refusing a cosignature is not a failed verification on our side (we verified before cosigning).
    if (!reply.ok) {
      const code = reply.status === 403 ? 'E_FORBIDDEN' : reply.status >= 500 ? 'E_UNAVAILABLE' : 'E_INVALID_INPUT';
      throw new AttestryError(code, `the log refused the cosignature: POST ${reply.url.pathname}: ${reply.status} ${text.slice(0, 300)}`);
    }
    return parseJsonBounded(text, { what: `reply to POST ${reply.url.pathname}`, code: 'E_UNAVAILABLE' });
  }
}
