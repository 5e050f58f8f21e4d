/**
 * What the reachability end-to-end and CLI tests share: one small callgraph
 * whose every answer is known by construction, fact batches over it, the
 * calls of the acceptance interface (GET/POST /signals/reachability), and
 * an OpenVEX validator on the vendored schema. Loading this file runs nothing.
 */
import assert from 'node:assert/strict';
import { graphNdjson } from './reach-graphs.js';
import { factsNdjson, ingestFacts, json, uploadGraph, type Reply } from './signals-http.js';
import type { TestServer } from './server.js';

export const PURL = 'pkg:maven/com.acme/app@1.0.0';
/** Node ids without a `symbol`: a node's id is its symbol, and facts name it by that id. */
export const SYM = {
  main: 'com.acme.App.main()',
  handle: 'com.acme.Handler.handle()',
  parse: 'org.lib.Parser.parse(java.lang.String)',
  plugin: 'com.acme.Plugin.run()',
  dead: 'com.acme.Dead.code()',
  absent: 'org.other.Missing.call()',
} as const;

/**
 * main → handle → parse over static edges (parse: reachable), main → plugin
 * over a dynamic edge only (plugin: uncertain), dead without edges
 * (unreachable), absent not in the graph.
 */
export const GRAPH_NDJSON = graphNdjson(
  [`*${SYM.main}`, SYM.handle, SYM.parse, SYM.plugin, SYM.dead],
  [
    [SYM.main, SYM.handle],
    [SYM.handle, SYM.parse],
    [SYM.main, SYM.plugin, 'dynamic'],
  ],
);

/** An OSV advisory of the component naming Parser.parse (resolved against the graph by its name without the parameter list). */
export const OSV_ADVISORY = {
  schema_version: '1.6.0',
  id: 'GHSA-acme-0001',
  aliases: ['CVE-2025-99999'],
  summary: 'Parser.parse overflows on long input',
  affected: [
    {
      package: { ecosystem: 'Maven', name: 'com.acme:app', purl: 'pkg:maven/com.acme/app' },
      ecosystem_specific: { affected_functions: ['org.lib.Parser.parse'] },
    },
  ],
};

export async function storeGraph(srv: TestServer, token: string, tenant?: string): Promise<string> {
  const r = await uploadGraph(srv, token, { ...(tenant === undefined ? {} : { tenant }), purl: PURL, body: GRAPH_NDJSON });
  assert.equal(r.status, 201, r.text);
  return String(json(r)['graphId']);
}

/** One batch of `hits` per symbol, received at `receivedAt`; returns its provenance record. */
export async function storeBatch(
  srv: TestServer,
  token: string,
  graphId: string,
  o: { hits: Readonly<Record<string, number>>; source: string; receivedAt: string; tenant?: string },
): Promise<Record<string, unknown>> {
  const t0 = Date.parse(o.receivedAt) - 60_000;
  const facts = Object.entries(o.hits).map(([symbolId, hitCount], i) => ({
    symbolId,
    hitCount,
    observedAt: new Date(t0 + i * 1000).toISOString(),
    processName: 'java',
  }));
  const r = await ingestFacts(srv, token, {
    ...(o.tenant === undefined ? {} : { tenant: o.tenant }),
    callgraphId: graphId,
    source: o.source,
    body: factsNdjson(facts),
    extra: `&received_at=${encodeURIComponent(o.receivedAt)}`,
  });
  assert.equal(r.status, 201, r.text);
  return json(r);
}

/** GET /signals/reachability with `symbol` repeated per symbol and the other parameters as given. */
export function askGet(srv: TestServer, token: string, symbols: readonly string[], params: Record<string, string> = {}): Promise<Reply> {
  const q = new URLSearchParams(params);
  for (const s of symbols) q.append('symbol', s);
  return srv.request('GET', `/signals/reachability?${q.toString()}`, { token });
}

export function askPost(srv: TestServer, token: string, body: Record<string, unknown>): Promise<Reply> {
  return srv.request('POST', '/signals/reachability', { token, body });
}

// ---------------------------------------------------------------- OpenVEX

export { assertOpenVex } from './openvex-schema.js';
