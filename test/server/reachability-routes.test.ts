/**
 * The reachability routes over real HTTP, in the real app (its auth, error
 * handler, JSON parser and limits), on top of a small implementation of OUR
 * OWN ReachabilityUseCases interface that records the questions the routes
 * hand it. The answers themselves (index, facts, lattice, verdicts) are
 * tested where they live and end to end in test/e2e/reachability-*; here:
 * which parameters are read and how, that each refusal names its parameter,
 * the POST body's limits, the reply forms and OpenVEX, and the OpenAPI entries.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { openApp, type App } from '../../src/app/open-app.js';
import type { Principal } from '../../src/authz/principal.js';
import { issueToken } from '../../src/authz/tokens.js';
import { loadConfig } from '../../src/core/config.js';
import { AttestryError } from '../../src/core/errors.js';
import { buildApp } from '../../src/server/app.js';
import { ServiceMetrics } from '../../src/server/metrics.js';
import { MAX_BODY_BYTES } from '../../src/server/routes/signals-reachability.js';
import {
  REACHABILITY_RULES_VERSION,
  type ReachabilityAnswer,
  type ReachabilityHistory,
  type ReachabilityPredicate,
  type ReachabilityQuery,
  type ReachabilityResult,
  type ReachabilityUseCases,
} from '../../src/signals/reach-types.js';

const GRAPH = '01HWXYZ123456789ABCDEFGHJK';
const VERDICT = '01HWXYZ123456789ABCDEFGHJV';
const PURL = 'pkg:maven/org.acme/app@1.0.0';
const MAX_SYMBOLS = 5;
const ENVELOPE = Buffer.from('{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"k","sig":"AA=="}]}');

function answerOf(symbol: string, q: ReachabilityQuery): ReachabilityAnswer {
  const reachable = symbol !== 'dead.code()';
  const path = reachable ? ['main()', symbol] : [];
  return {
    rulesVersion: REACHABILITY_RULES_VERSION,
    callgraphId: q.callgraphId ?? GRAPH,
    tenantId: 't1',
    componentPurl: PURL,
    symbol,
    vulnerability: q.vulnerability ?? null,
    state: reachable ? 'ConfirmedReachable' : 'ConfirmedUnreachable',
    path,
    static: {
      state: reachable ? 'reachable' : 'unreachable',
      matchedNodes: [symbol],
      entryPoint: reachable ? 'main()' : null,
      path,
      steps: reachable
        ? [
            { nodeId: 'main()', symbol: 'main()', edgeKind: null },
            { nodeId: symbol, symbol, edgeKind: 'static' },
          ]
        : [],
      uncertainEdges: [],
    },
    runtime: {
      state: reachable ? 'observed' : 'unobserved',
      hitCount: reachable ? 3 : 0,
      firstSeen: reachable ? '2025-01-01T00:00:00Z' : null,
      lastSeen: reachable ? '2025-01-01T00:00:02Z' : null,
      batchCount: reachable ? 1 : 0,
      sources: reachable ? ['host-1'] : [],
      windowBatchCount: 1,
      windowSources: ['host-1'],
    },
    window: q.window,
    thresholds: { minBatches: q.thresholds?.minBatches ?? 1, minSources: q.thresholds?.minSources ?? 1 },
    evidence: {
      callgraph: {
        graphId: GRAPH,
        tenantId: 't1',
        componentPurl: PURL,
        digest: `sha256:${'1'.repeat(64)}`,
        contentDigest: `sha256:${'2'.repeat(64)}`,
        manifestDigest: `sha256:${'3'.repeat(64)}`,
        manifestAttestationId: GRAPH,
        manifestLogIndex: 0,
        manifestRekorUuid: 'ab'.repeat(32),
      },
      manifestDigest: `sha256:${'3'.repeat(64)}`,
      provenanceIds: reachable ? ['01HWXYZ123456789ABCDEFGHJP'] : [],
      batches: [],
    },
    decidedAt: '2025-01-02T00:00:00.000Z',
    // A field the documented reply schema does not list: the route must not drop it.
    ...({ extraField: 'kept' } as object),
    ...(q.attest ? { attestationId: VERDICT, logIndex: 7, sequence: 1, previous: null, created: true } : {}),
  };
}

/** A test double of our own use-case interface: records the questions, refuses where the real one would. */
class RecordingReachability implements ReachabilityUseCases {
  readonly questions: ReachabilityQuery[] = [];

  last(): ReachabilityQuery {
    const q = this.questions.at(-1);
    assert.ok(q, 'no question reached the use case');
    return q;
  }

  async answer(_p: Principal, q: ReachabilityQuery): Promise<ReachabilityResult> {
    this.questions.push(q);
    if (q.tenant === 'other') throw new AttestryError('E_NOT_FOUND', `no callgraph ${q.callgraphId ?? ''}`);
    if (q.attest && q.tenant === 'readonly') throw new AttestryError('E_FORBIDDEN', 'policy-engine may not write reachability-verdicts');
    const symbols = q.osv === undefined ? q.symbols : [...q.symbols, 'osv.Target()'];
    return {
      callgraphId: q.callgraphId ?? GRAPH,
      componentPurl: PURL,
      vulnerability: q.vulnerability ?? null,
      results: [...new Set(symbols)].map((s) => answerOf(s, q)),
    };
  }

  async history(_p: Principal, q: { tenant?: string | undefined; callgraphId: string; symbol: string }): Promise<ReachabilityHistory> {
    return { callgraphId: q.callgraphId, symbol: q.symbol, verdicts: [], chainOk: true };
  }

  async verdict(_p: Principal, id: string): Promise<{ predicate: ReachabilityPredicate; envelope: Buffer }> {
    if (id !== VERDICT) throw new AttestryError('E_NOT_FOUND', `no verdict ${id}`);
    const a = answerOf('a.b()', { symbols: [], window: { since: null, until: null }, attest: false });
    const predicate: ReachabilityPredicate = {
      ...a,
      decidedAt: a.decidedAt,
      sequence: 1,
      previous: null,
      evidenceDigest: `sha256:${'4'.repeat(64)}`,
    };
    return { predicate, envelope: ENVELOPE };
  }
}

let app: FastifyInstance;
let services: App;
let base: string;
let token: string;
let dataDir: string;
const uc = new RecordingReachability();

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'attestry-reach-routes-'));
  const config = loadConfig({ env: {}, dataDir, port: 0 });
  config.Server.LogLevel = 'silent';
  config.Signals.Reachability.MaxSymbolsPerQuery = MAX_SYMBOLS;
  config.Signals.Reachability.VexAuthor = 'Acme Security <security@acme.example>';
  services = await openApp(config);
  app = await buildApp({ services, metrics: new ServiceMetrics(), logLevel: 'silent', signals: { reachability: uc } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  await services.repos.tenants.add('t1', null, services.clock.now());
  token = (await issueToken(services.repos, { principal: 'policy-engine', tenants: ['t1'] }, services)).token;
});
after(async () => {
  await app?.close();
  await services?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: Record<string, unknown>;
}

async function call(
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string>; auth?: boolean } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...(options.auth === false ? {} : { authorization: `Bearer ${token}` }), ...options.headers };
  if (options.body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, ...(options.body === undefined ? {} : { body: options.body }) });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, text, json };
}

const post = (body: unknown) => call('POST', '/signals/reachability', { body: JSON.stringify(body) });

/** A 400 E_INVALID_INPUT whose message matches `message`, and the use case never asked. */
async function refused(r: Promise<Reply>, message: RegExp, status = 400, code = 'E_INVALID_INPUT'): Promise<Reply> {
  const before = uc.questions.length;
  const reply = await r;
  assert.equal(reply.status, status, reply.text);
  assert.equal(reply.json['code'], code, reply.text);
  assert.match(String(reply.json['message']), message);
  assert.equal(uc.questions.length, before, 'the question did not reach the use case');
  return reply;
}

const ask = (query: string) => call('GET', `/signals/reachability?${query}`);

describe('GET /signals/reachability: parameters', () => {
  test('neither callgraph_id nor purl → 400 naming both', async () => {
    await refused(ask('symbol=a.b()'), /callgraph_id.*purl/);
  });
  test('both callgraph_id and purl → 400 naming both', async () => {
    await refused(ask(`callgraph_id=${GRAPH}&purl=${encodeURIComponent(PURL)}&symbol=a`), /one of callgraph_id and purl, not both/);
  });
  test('no symbol → 400 naming symbol', async () => {
    await refused(ask(`callgraph_id=${GRAPH}`), /^symbol: give at least one/);
  });
  test('an empty symbol → 400 naming symbol', async () => {
    await refused(ask(`callgraph_id=${GRAPH}&symbol=`), /querystring\/symbol/);
  });
  test('since that is not an instant → 400 naming since', async () => {
    await refused(ask(`callgraph_id=${GRAPH}&symbol=a&since=yesterday`), /since/);
  });
  test('since after until → 400 naming both', async () => {
    await refused(ask(`callgraph_id=${GRAPH}&symbol=a&since=2025-02-01T00:00:00Z&until=2025-01-01T00:00:00Z`), /since.*after until/);
  });
  test('attest=maybe → 400 naming attest', async () => {
    await refused(ask(`callgraph_id=${GRAPH}&symbol=a&attest=maybe`), /querystring\/attest/);
  });
  test('min_batches=0 and min_sources=x → 400 naming the parameter', async () => {
    await refused(ask(`callgraph_id=${GRAPH}&symbol=a&min_batches=0`), /querystring\/min_batches/);
    await refused(ask(`callgraph_id=${GRAPH}&symbol=a&min_sources=x`), /querystring\/min_sources/);
  });
  test('format=xml → 400 naming format', async () => {
    await refused(ask(`callgraph_id=${GRAPH}&symbol=a&format=xml`), /querystring\/format/);
  });
  test(`more than MaxSymbolsPerQuery (${MAX_SYMBOLS}) symbols → 400 naming symbol and the limit`, async () => {
    const many = Array.from({ length: MAX_SYMBOLS + 1 }, (_, i) => `symbol=s${i}`).join('&');
    await refused(ask(`callgraph_id=${GRAPH}&${many}`), /^symbol: 6 symbols asked, at most 5 .*MaxSymbolsPerQuery/);
  });
  test('no token → 401', async () => {
    await refused(call('GET', `/signals/reachability?callgraph_id=${GRAPH}&symbol=a`, { auth: false }), /./, 401, 'E_UNAUTHENTICATED');
  });
});

describe('GET /signals/reachability: replies', () => {
  test('one symbol → the answer itself; every parameter reaches the question', async () => {
    const r = await ask(
      `tenant=t1&callgraph_id=${GRAPH}&symbol=${encodeURIComponent('com.acme.Foo#bar(int)')}&vulnerability=CVE-2025-1&since=2025-01-01T00:00:00Z&until=2025-02-01T00:00:00.5%2B01:00&min_batches=2&min_sources=3&attest=true`,
    );
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(r.json['state'], 'ConfirmedReachable');
    assert.deepEqual(r.json['path'], ['main()', 'com.acme.Foo#bar(int)']);
    assert.equal((r.json['runtime'] as Record<string, unknown>)['hitCount'], 3);
    assert.equal(r.json['attestationId'], VERDICT);
    assert.equal(r.json['logIndex'], 7);
    assert.equal(r.json['extraField'], 'kept', 'fields the documented schema does not list are not dropped');
    assert.deepEqual(uc.last(), {
      tenant: 't1',
      callgraphId: GRAPH,
      symbols: ['com.acme.Foo#bar(int)'],
      vulnerability: 'CVE-2025-1',
      window: { since: '2025-01-01T00:00:00Z', until: '2025-02-01T00:00:00.5+01:00' },
      thresholds: { minBatches: 2, minSources: 3 },
      attest: true,
    });
  });

  test('purl instead of callgraph_id; attest defaults to false, attest=0 is false', async () => {
    for (const extra of ['', '&attest=0', '&attest=false']) {
      const r = await ask(`purl=${encodeURIComponent(PURL)}&symbol=a.b()${extra}`);
      assert.equal(r.status, 200, r.text);
      const q = uc.last();
      assert.equal(q.purl, PURL);
      assert.equal(q.callgraphId, undefined);
      assert.equal(q.attest, false);
      assert.equal(q.thresholds, undefined);
      assert.deepEqual(q.window, { since: null, until: null });
      assert.equal(r.json['attestationId'], undefined);
    }
  });

  test('several symbols → {callgraphId, componentPurl, vulnerability, results} in the order asked', async () => {
    const r = await ask(`callgraph_id=${GRAPH}&symbol=z.z()&symbol=dead.code()&symbol=a.a()`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json['callgraphId'], GRAPH);
    assert.equal(r.json['componentPurl'], PURL);
    assert.equal(r.json['vulnerability'], null);
    const results = r.json['results'] as Record<string, unknown>[];
    assert.deepEqual(
      results.map((x) => [x['symbol'], x['state']]),
      [
        ['z.z()', 'ConfirmedReachable'],
        ['dead.code()', 'ConfirmedUnreachable'],
        ['a.a()', 'ConfirmedReachable'],
      ],
    );
  });

  test('format=openvex → one OpenVEX document, author from Signals.Reachability.VexAuthor', async () => {
    const r = await ask(`callgraph_id=${GRAPH}&symbol=dead.code()&format=openvex&vulnerability=CVE-2025-1`);
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(r.json['@context'], 'https://openvex.dev/ns/v0.2.0');
    assert.equal(r.json['author'], 'Acme Security <security@acme.example>');
    const [statement] = r.json['statements'] as Record<string, unknown>[];
    assert.equal(statement?.['status'], 'not_affected');
    assert.equal(statement?.['justification'], 'vulnerable_code_not_in_execute_path');
    assert.deepEqual(statement?.['vulnerability'], { name: 'CVE-2025-1' });
  });

  test("use-case refusals keep their status: another tenant's graph 404, attest without write 403", async () => {
    const nf = await ask(`tenant=other&callgraph_id=${GRAPH}&symbol=a`);
    assert.equal(nf.status, 404, nf.text);
    assert.equal(nf.json['code'], 'E_NOT_FOUND');
    const fb = await ask(`tenant=readonly&callgraph_id=${GRAPH}&symbol=a&attest=true`);
    assert.equal(fb.status, 403, fb.text);
    assert.equal(fb.json['code'], 'E_FORBIDDEN');
  });
});

describe('POST /signals/reachability', () => {
  test('symbols → always {results}; fields mapped', async () => {
    const r = await post({
      tenant: 't1',
      callgraphId: GRAPH,
      symbols: ['a.a()'],
      vulnerability: 'GHSA-xxxx',
      since: '2025-01-01T00:00:00Z',
      minBatches: 2,
      attest: true,
    });
    assert.equal(r.status, 200, r.text);
    const results = r.json['results'] as Record<string, unknown>[];
    assert.equal(results.length, 1);
    assert.equal(results[0]?.['attestationId'], VERDICT);
    const q = uc.last();
    assert.deepEqual(q, {
      tenant: 't1',
      callgraphId: GRAPH,
      symbols: ['a.a()'],
      vulnerability: 'GHSA-xxxx',
      window: { since: '2025-01-01T00:00:00Z', until: null },
      thresholds: { minBatches: 2 },
      attest: true,
    });
  });

  /** Two affected packages: the component's own and a dependency; both are read (docs/reachability.md "OSV"). */
  const OSV = {
    id: 'GHSA-0001',
    aliases: ['CVE-2025-0001'],
    affected: [
      { package: { purl: 'pkg:maven/org.acme/app' }, ecosystem_specific: { affected_functions: ['org.acme.Parser.parse'] } },
      {
        package: { purl: 'pkg:golang/example.com/lib' },
        ecosystem_specific: { imports: [{ path: 'example.com/lib', symbols: ['Parse'] }] },
      },
    ],
  };

  test('an OSV advisory with a purl reaches the use case as given; openvex lists its packages and aliases', async () => {
    const r = await post({ purl: PURL, osv: OSV, format: 'openvex' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(uc.last().osv, OSV);
    assert.equal(uc.last().purl, PURL);
    const [statement] = r.json['statements'] as Record<string, unknown>[];
    const products = statement?.['products'] as { '@id': string; subcomponents: { '@id': string }[] }[];
    assert.equal(products[0]?.['@id'], PURL);
    assert.deepEqual(
      products[0]?.subcomponents.map((s) => s['@id']),
      ['pkg:maven/org.acme/app', 'pkg:golang/example.com/lib', `urn:attestry:symbol:${encodeURIComponent('osv.Target()')}`],
    );
    assert.deepEqual((statement?.['vulnerability'] as Record<string, unknown>)['aliases'], ['CVE-2025-0001']);
  });

  test('neither symbols nor osv → 400 naming symbols', async () => {
    await refused(post({ callgraphId: GRAPH }), /^symbols: give at least one symbol, or an OSV advisory/);
    await refused(post({ callgraphId: GRAPH, symbols: [] }), /^symbols:/);
  });
  test('neither or both of callgraphId and purl → 400 naming them', async () => {
    await refused(post({ symbols: ['a'] }), /callgraphId.*purl/);
    await refused(post({ callgraphId: GRAPH, purl: PURL, symbols: ['a'] }), /one of callgraphId and purl, not both/);
  });
  test('an unknown field (a typo) → 400 naming it', async () => {
    await refused(post({ callgraphId: GRAPH, symbol: ['a'] }), /unknown field "symbol" in the body; the fields are .*symbols/);
  });
  test('wrong types → 400 naming the field', async () => {
    await refused(post({ callgraphId: GRAPH, symbols: 'a' }), /body\/symbols/);
    await refused(post({ callgraphId: GRAPH, symbols: ['a'], attest: 'true' }), /body\/attest/);
    await refused(post({ callgraphId: GRAPH, symbols: ['a'], minSources: 0 }), /body\/minSources/);
    await refused(post({ callgraphId: GRAPH, symbols: ['a'], until: 'soon' }), /until/);
  });
  test(`more than ${MAX_SYMBOLS} symbols → 400 naming symbols`, async () => {
    await refused(post({ callgraphId: GRAPH, symbols: ['a', 'b', 'c', 'd', 'e', 'f'] }), /^symbols: 6 symbols asked, at most 5/);
  });
  test('a body over 1 MiB → 413 naming the limit', async () => {
    const big = JSON.stringify({ callgraphId: GRAPH, symbols: ['a'], osv: { id: 'X', details: 'x'.repeat(MAX_BODY_BYTES) } });
    await refused(
      call('POST', '/signals/reachability', { body: big }),
      /larger than 1048576 bytes \(the limit of POST \/signals\/reachability\)/,
      413,
      'E_PAYLOAD_TOO_LARGE',
    );
  });
  test('a body nested deeper than 33 levels → 400 naming the depth, refused unparsed', async () => {
    const deep = `{"callgraphId":"${GRAPH}","symbols":["a"],"osv":{"id":"X","x":${'['.repeat(40)}${']'.repeat(40)}}}`;
    await refused(call('POST', '/signals/reachability', { body: deep }), /more than 33 levels deep/);
    // 33 levels in all (the advisory 32) is accepted.
    const ok = `{"callgraphId":"${GRAPH}","symbols":["a"],"osv":{"id":"X","x":${'['.repeat(31)}${']'.repeat(31)}}}`;
    const r = await call('POST', '/signals/reachability', { body: ok });
    assert.equal(r.status, 200, r.text);
  });
  test('a body that is not JSON → 415; JSON that does not parse → 400', async () => {
    await refused(
      call('POST', '/signals/reachability', { body: 'symbols=a', headers: { 'content-type': 'text/plain' } }),
      /Content-Type/,
      415,
    );
    await refused(call('POST', '/signals/reachability', { body: '{"symbols":' }), /not valid JSON/);
  });
});

describe('history and verdicts', () => {
  test('history: callgraph_id and symbol are required, named', async () => {
    await refused(call('GET', '/signals/reachability/history?symbol=a'), /callgraph_id/);
    await refused(call('GET', `/signals/reachability/history?callgraph_id=${GRAPH}`), /symbol/);
    const r = await call('GET', `/signals/reachability/history?callgraph_id=${GRAPH}&symbol=a.b()`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { callgraphId: GRAPH, symbol: 'a.b()', verdicts: [], chainOk: true });
  });
  test('a verdict: its predicate and parsed envelope; /envelope the exact bytes; an unknown id 404', async () => {
    const r = await call('GET', `/signals/reachability/verdicts/${VERDICT}`);
    assert.equal(r.status, 200, r.text);
    assert.equal((r.json['predicate'] as Record<string, unknown>)['sequence'], 1);
    assert.deepEqual(r.json['envelope'], JSON.parse(ENVELOPE.toString()));
    const raw = await fetch(`${base}/signals/reachability/verdicts/${VERDICT}/envelope`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(raw.status, 200);
    assert.deepEqual(Buffer.from(await raw.arrayBuffer()), ENVELOPE);
    const missing = await call('GET', '/signals/reachability/verdicts/01HWXYZ123456789ABCDEFGHJ0');
    assert.equal(missing.status, 404);
  });
});

test('/openapi.json documents each reachability route', async () => {
  const r = await call('GET', '/openapi.json');
  assert.equal(r.status, 200);
  const paths = r.json['paths'] as Record<string, Record<string, { summary?: string; parameters?: { name: string }[] }>>;
  for (const [path, method] of [
    ['/signals/reachability', 'get'],
    ['/signals/reachability', 'post'],
    ['/signals/reachability/history', 'get'],
    ['/signals/reachability/verdicts/{id}', 'get'],
    ['/signals/reachability/verdicts/{id}/envelope', 'get'],
  ] as const) {
    assert.ok(paths[path]?.[method]?.summary, `${method.toUpperCase()} ${path} is documented`);
  }
  const names = (paths['/signals/reachability']?.['get']?.parameters ?? []).map((p) => p.name).sort();
  assert.deepEqual(names, [
    'attest',
    'callgraph_id',
    'format',
    'min_batches',
    'min_sources',
    'purl',
    'since',
    'symbol',
    'tenant',
    'until',
    'vulnerability',
  ]);
});
