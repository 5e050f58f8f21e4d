/**
 * What the review and VEX tests (issue 17) share: a server with the tiny
 * GGUF model configured, vex_drafts made through POST /advisory/explain, and
 * the one-character tamper of a DSSE payload. Loading this file runs nothing.
 */
import assert from 'node:assert/strict';
import type { ResolvedConfig } from '../../src/core/config.js';
import { startTestServer, type TestServer } from './server.js';
import { json } from './signals-http.js';
import { FINDING, tinyModelPath } from './tiny-model.js';

export type Obj = Record<string, unknown>;
export const obj = (v: unknown): Obj => v as Obj;

/** The seed's finding as a VEX draft sees it: a symbol, and the status the scanner proposes. */
export const VEX_FINDING = {
  ...FINDING,
  symbol: 'lodash.merge',
  vex: { status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' },
} as const;

export async function startReviewServer(configure?: (c: ResolvedConfig) => void): Promise<TestServer> {
  return startTestServer({
    configure: (c) => {
      c.advisoryAi.inference.local.modelPath = tinyModelPath();
      c.advisoryAi.inference.local.threads = 1;
      configure?.(c);
    },
  });
}

/** A vex_draft of `finding` (signed unless `sign: false`), made by `token`; its explain reply. */
export async function explainVexDraft(
  srv: TestServer,
  token: string,
  o: { finding?: Obj; sign?: boolean; tenant?: string } = {},
): Promise<Obj> {
  const finding = o.finding ?? VEX_FINDING;
  const r = await srv.request('POST', '/api/v1/advisory/explain', {
    token,
    body: {
      findingId: finding['id'],
      finding,
      ...(o.tenant === undefined ? {} : { tenant: o.tenant }),
      options: { artifactType: 'vex_draft', signAttestation: o.sign ?? true, parameters: { maxTokens: 8 } },
    },
  });
  assert.equal(r.status, 200, r.text);
  return json(r);
}

/** The envelope with one character of its decoded payload changed (and re-encoded): the signature no longer covers it. */
export function tamperPayload(envelope: Obj, from: string, to: string): Obj {
  const payload = Buffer.from(String(envelope['payload']), 'base64').toString('utf8');
  assert.ok(payload.includes(from), `the payload has ${from}`);
  return { ...envelope, payload: Buffer.from(payload.replace(from, to)).toString('base64') };
}
