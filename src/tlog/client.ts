import { AttestryError } from '../core/errors.js';
import { parseJsonBounded } from '../core/bounded-json.js';

/**
 * A small HTTP client for a log's public read API (no token: logs are
 * public). Errors name the URL and keep the server's error code.
 */
export class LogClient {
  readonly base: URL;

  constructor(
    server: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.base = new URL(server.endsWith('/') ? server : `${server}/`);
  }

  async #get(path: string): Promise<Response> {
    const url = new URL(path, this.base);
    let response: Response;
    try {
      response = await this.fetchImpl(url, { signal: AbortSignal.timeout(30_000) });
    } catch (e) {
      const cause = (e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message;
      throw new AttestryError('E_UNAVAILABLE', `cannot reach ${url.origin}: ${cause}`);
    }
    if (!response.ok) {
      const text = await response.text();
      let code = 'E_UNAVAILABLE';
      let message = text.slice(0, 200);
      try {
        const j = parseJsonBounded(text, { what: 'error reply' }) as { code?: string; message?: string };
        if (j.code === 'E_NOT_FOUND' || j.code === 'E_INVALID_INPUT') code = j.code;
        message = j.message ?? message;
      } catch {
        // not JSON: keep the text
      }
      throw new AttestryError(code as 'E_UNAVAILABLE', `GET ${url.pathname}${url.search}: ${response.status} ${message}`);
    }
    return response;
  }

  async json<T>(path: string): Promise<T> {
    return parseJsonBounded(await (await this.#get(path)).text(), { what: `reply to GET ${path}`, code: 'E_UNAVAILABLE' }) as T;
  }

  async checkpoint(): Promise<string> {
    return (await this.#get('tlog/checkpoint')).text();
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
    const url = new URL('api/v1/log/cosignatures', this.base);
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: note,
        signal: AbortSignal.timeout(30_000),
      });
    } catch (e) {
      const cause = (e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message;
      throw new AttestryError('E_UNAVAILABLE', `cannot reach ${url.origin} to send the cosignature: ${cause}`);
    }
    const text = await response.text();
    // The log refusing a cosignature is not a failed verification on our side (we verified before cosigning).
    if (!response.ok) {
      const code = response.status === 403 ? 'E_FORBIDDEN' : response.status >= 500 ? 'E_UNAVAILABLE' : 'E_INVALID_INPUT';
      throw new AttestryError(code, `the log refused the cosignature: POST ${url.pathname}: ${response.status} ${text.slice(0, 300)}`);
    }
    return parseJsonBounded(text, { what: `reply to POST ${url.pathname}`, code: 'E_UNAVAILABLE' });
  }
}
