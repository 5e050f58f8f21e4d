import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildReachIndex } from '../../src/signals/reach-index.js';
import { classifyEdge, CERTAIN_EDGES } from '../../src/signals/reach-edge-kind.js';
import { parseCallgraph } from '../../src/signals/callgraph-input.js';
import { normalizedLines } from '../../src/signals/callgraph-normalize.js';
import { bigGraph, byteChunks, graphNdjson, indexOf, REACH_TEST_LIMITS, type EdgeSpec, type NodeSpec } from '../helpers/reach-graphs.js';
import { rejects } from './helpers.js';

test('graphNdjson writes the stored form: nodes by id, edges by (from, to), keys in order', () => {
  assert.equal(
    graphNdjson(
      ['b', '*a', { id: 'c', symbol: 'S', extra: { z: 1, a: 2 } }],
      [
        ['b', 'a', 'unresolved'],
        ['a', 'c', 'virtual'],
        ['a', 'b'],
      ],
    ),
    [
      '{"kind":"node","id":"a","entry":true}',
      '{"kind":"node","id":"b","entry":false}',
      '{"kind":"node","id":"c","symbol":"S","entry":false,"extra":{"a":2,"z":1}}',
      '{"kind":"edge","from":"a","to":"b"}',
      '{"kind":"edge","from":"a","to":"c","extra":{"kind":"virtual"}}',
      '{"kind":"edge","from":"b","to":"a","extra":{"isResolved":false}}',
      '',
    ].join('\n'),
  );
});

test('reachable: a certain path from the entry, with each step and the class of the edge into it', async () => {
  const idx = await indexOf(
    ['*main', 'a', { id: 'b', symbol: 'sym:x:B.run()' }],
    [
      ['main', 'a'],
      ['a', 'b', 'runtime'],
    ],
  );
  const ev = idx.staticEvidence('sym:x:B.run()');
  assert.deepEqual(ev, {
    state: 'reachable',
    matchedNodes: ['b'],
    entryPoint: 'main',
    path: ['main', 'a', 'sym:x:B.run()'],
    steps: [
      { nodeId: 'main', symbol: 'main', edgeKind: null },
      { nodeId: 'a', symbol: 'a', edgeKind: 'static' },
      { nodeId: 'b', symbol: 'sym:x:B.run()', edgeKind: 'runtime' },
    ],
    uncertainEdges: [],
  });
  // A node with a symbol is that symbol, not its id.
  assert.equal(idx.staticEvidence('b').state, 'absent');
  assert.equal(idx.nodeCount, 3);
  assert.equal(idx.edgeCount, 2);
  assert.equal(idx.entryCount, 1);
  assert.ok(idx.bytes > 0);
});

test('uncertain through a heuristic, a dynamic and an unresolved edge, naming the classes used', async () => {
  const idx = await indexOf(
    ['*main', 'h', 'd', 'u', 'all'],
    [
      ['main', 'h', 'heuristic'],
      ['main', 'd', 'virtual'],
      ['main', 'u', 'unresolved'],
      ['h', 'all', 'unresolved'],
    ],
  );
  for (const [sym, cls] of [
    ['h', 'heuristic'],
    ['d', 'dynamic'],
    ['u', 'unresolved'],
  ] as const) {
    const ev = idx.staticEvidence(sym);
    assert.equal(ev.state, 'uncertain', sym);
    assert.deepEqual(ev.path, ['main', sym]);
    assert.deepEqual(ev.uncertainEdges, [cls]);
    assert.equal(ev.steps[1]!.edgeKind, cls);
  }
  assert.deepEqual(idx.staticEvidence('all').uncertainEdges, ['heuristic', 'unresolved']);
});

test('a symbol reached only through an unresolved edge is uncertain, never unreachable', async () => {
  const idx = await indexOf(
    ['*main', 'a', 'sink'],
    [['main', 'a'], { from: 'a', to: 'sink', extra: { isResolved: false, kind: 'static' } }],
  );
  const ev = idx.staticEvidence('sink');
  assert.equal(ev.state, 'uncertain');
  assert.deepEqual(ev.uncertainEdges, ['unresolved']);
  assert.deepEqual(ev.path, ['main', 'a', 'sink']);
});

test('candidates add possible edges: dynamic from a certain edge, unresolved from an unresolved one; unknown ids add nothing', async () => {
  const idx = await indexOf(
    ['*main', 'iface', 'impl1', 'impl2', 'impl3', 'lost'],
    [
      { from: 'main', to: 'iface', extra: { kind: 'static', candidates: ['impl1', 'nope'] } },
      { from: 'main', to: 'lost', extra: { isResolved: false, candidates: ['impl2'] } },
      { from: 'iface', to: 'impl3', extra: { kind: 'heuristic', candidates: ['impl3'] } },
    ],
  );
  assert.equal(idx.candidateEdgeCount, 3);
  assert.equal(idx.staticEvidence('iface').state, 'reachable');
  assert.deepEqual(idx.staticEvidence('impl1').uncertainEdges, ['dynamic']);
  assert.deepEqual(idx.staticEvidence('impl2').uncertainEdges, ['unresolved']);
  assert.deepEqual(idx.staticEvidence('impl3').uncertainEdges, ['heuristic']);
});

test('unreachable: in the graph, no path of any kind; absent: no node is the symbol', async () => {
  const idx = await indexOf(
    ['*main', 'a', 'island', 'shore'],
    [
      ['main', 'a'],
      ['island', 'shore', 'virtual'],
      ['shore', 'island'],
    ],
  );
  assert.deepEqual(idx.staticEvidence('island'), {
    state: 'unreachable',
    matchedNodes: ['island'],
    entryPoint: null,
    path: [],
    steps: [],
    uncertainEdges: [],
  });
  assert.deepEqual(idx.staticEvidence('sym:none'), {
    state: 'absent',
    matchedNodes: [],
    entryPoint: null,
    path: [],
    steps: [],
    uncertainEdges: [],
  });
});

test('an entry point that is the symbol: distance 0, path [S]', async () => {
  const idx = await indexOf(
    [
      { id: 'm', symbol: 'S', entry: true },
      { id: 'n', symbol: 'S' },
    ],
    [['m', 'n']],
  );
  const ev = idx.staticEvidence('S');
  assert.equal(ev.state, 'reachable');
  assert.deepEqual(ev.matchedNodes, ['m', 'n']);
  assert.deepEqual(ev.path, ['S']);
  assert.deepEqual(ev.steps, [{ nodeId: 'm', symbol: 'S', edgeKind: null }]);
  assert.equal(ev.entryPoint, 'm');
});

test('several nodes are one symbol: the certain path wins over a shorter uncertain one, then the nearest, then the smallest id', async () => {
  const nodes: NodeSpec[] = ['*main', 'a', 'b', { id: 'x1', symbol: 'S' }, { id: 'x2', symbol: 'S' }, { id: 'x3', symbol: 'S' }];
  // x1: one possible hop; x3: two certain hops; x2: three certain hops.
  let idx = await indexOf(nodes, [
    ['main', 'x1', 'heuristic'],
    ['main', 'a'],
    ['a', 'x3'],
    ['a', 'b'],
    ['b', 'x2'],
  ]);
  let ev = idx.staticEvidence('S');
  assert.equal(ev.state, 'reachable');
  assert.deepEqual(ev.matchedNodes, ['x1', 'x2', 'x3']);
  assert.deepEqual(ev.path, ['main', 'a', 'S']);
  assert.equal(ev.steps.at(-1)!.nodeId, 'x3');
  // x2 and x3 both at two certain hops: the smaller id.
  idx = await indexOf(nodes, [
    ['main', 'a'],
    ['a', 'x3'],
    ['a', 'x2'],
  ]);
  assert.equal(idx.staticEvidence('S').steps.at(-1)!.nodeId, 'x2');
  // Only possible paths: the nearest node over all edges.
  idx = await indexOf(nodes, [
    ['main', 'a', 'virtual'],
    ['a', 'x1', 'virtual'],
    ['main', 'x3', 'unresolved'],
  ]);
  ev = idx.staticEvidence('S');
  assert.equal(ev.state, 'uncertain');
  assert.equal(ev.steps.at(-1)!.nodeId, 'x3');
});

test('shortest path, then entries in id order, then neighbours in stored edge order', async () => {
  // Via b0 in one hop beats a0's two hops even though a0 comes first.
  let idx = await indexOf(
    ['*a0', '*b0', 'm', 't'],
    [
      ['a0', 'm'],
      ['m', 't'],
      ['b0', 't'],
    ],
  );
  assert.deepEqual(idx.staticEvidence('t').path, ['b0', 't']);
  // Equal length: the entry with the smaller id.
  idx = await indexOf(
    ['*a0', '*b0', 't'],
    [
      ['b0', 't'],
      ['a0', 't'],
    ],
  );
  assert.deepEqual(idx.staticEvidence('t').path, ['a0', 't']);
  // Equal length from one entry: the neighbour first in stored (from, to) order, `y` before `z`.
  idx = await indexOf(
    ['*main', 'z', 'y', 't'],
    [
      ['main', 'z'],
      ['main', 'y'],
      ['z', 't'],
      ['y', 't'],
    ],
  );
  assert.deepEqual(idx.staticEvidence('t').path, ['main', 'y', 't']);
});

test('a possible edge with a certain parallel edge counts as the certain one', async () => {
  const idx = await indexOf(
    ['*main', 'a', 'b'],
    [{ from: 'main', to: 'a', extra: { callKind: 'virtual' } }, ['main', 'a'], ['a', 'b', 'heuristic']],
  );
  const ev = idx.staticEvidence('b');
  assert.equal(ev.state, 'uncertain');
  assert.deepEqual(
    ev.steps.map((s) => s.edgeKind),
    [null, 'static', 'heuristic'],
  );
  assert.deepEqual(ev.uncertainEdges, ['heuristic']);
});

test('cycles end: a loop back to the entry and among nodes', async () => {
  const idx = await indexOf(
    ['*main', 'a', 'b', 'c', 'd'],
    [
      ['main', 'a'],
      ['a', 'b'],
      ['b', 'a'],
      ['b', 'main'],
      ['b', 'c'],
      ['c', 'c'],
      ['d', 'd'],
    ],
  );
  assert.deepEqual(idx.staticEvidence('c').path, ['main', 'a', 'b', 'c']);
  assert.equal(idx.staticEvidence('d').state, 'unreachable');
  assert.deepEqual(idx.staticEvidence('main').path, ['main']);
});

test('a graph without entry points: every symbol in it is unreachable', async () => {
  const idx = await indexOf(['a', 'b'], [['a', 'b']]);
  assert.equal(idx.staticEvidence('b').state, 'unreachable');
  const empty = await buildReachIndex(byteChunks(''), REACH_TEST_LIMITS, 'empty');
  assert.equal(empty.nodeCount, 0);
  assert.equal(empty.staticEvidence('a').state, 'absent');
});

const NODE_A = '{"kind":"node","id":"a","entry":true}';
const NODE_B = '{"kind":"node","id":"b","entry":false}';
const EDGE_AB = '{"kind":"edge","from":"a","to":"b"}';

async function build(lines: readonly (string | Buffer)[], limits = REACH_TEST_LIMITS): Promise<unknown> {
  const body = Buffer.concat(lines.map((l) => Buffer.concat([typeof l === 'string' ? Buffer.from(l) : l, Buffer.from('\n')])));
  return buildReachIndex(byteChunks(body, 5), limits, 'callgraph g1');
}

test('a malformed stored line is E_INTEGRITY naming the line', async () => {
  const cases: [readonly (string | Buffer)[], number, RegExp][] = [
    [[NODE_A, '{"kind":"node","id":"b",'], 2, /not JSON/],
    [[NODE_A, '[1,2]'], 2, /not a JSON object/],
    [[NODE_A, '{"kind":"vertex","id":"b","entry":false}'], 2, /neither "node" nor "edge"/],
    [[NODE_A, NODE_B, EDGE_AB, '{"kind":"node","id":"c","entry":false}'], 4, /node after the edges/],
    [[NODE_B, NODE_A], 2, /ascending/],
    [[NODE_A, NODE_A], 2, /ascending/],
    [[NODE_A, '{"kind":"node","id":"b","entry":"no"}'], 2, /"entry" is not a boolean/],
    [[NODE_A, '{"kind":"node","id":"b","symbol":7,"entry":false}'], 2, /"symbol" is not a string/],
    [['{"kind":"node","entry":false}'], 1, /no string "id"/],
    [[NODE_A, NODE_B, '{"kind":"edge","from":"a","to":"zz"}'], 3, /not in the graph/],
    [[NODE_A, NODE_B, '{"kind":"edge","from":"a","to":"b","extra":[1]}'], 3, /"extra" is not an object/],
    [[NODE_A, NODE_B, '{"kind":"edge","from":"a","to":"b","extra":{"x":}}'], 3, /not JSON/],
    [[NODE_A, NODE_B, '{"kind":"edge","from":"a","to":"b"}x'], 3, /not JSON/],
    [[NODE_A, '{"kind":"edge","from":"a"}'], 2, /no string "from" and "to"/],
    [[NODE_A, Buffer.from([0x7b, 0xff, 0x7d])], 2, /not valid UTF-8/],
  ];
  for (const [lines, line, problem] of cases) {
    const e = await rejects(() => build(lines), 'E_INTEGRITY', new RegExp(`callgraph g1 line ${line}\\b`), problem);
    assert.equal(e.details?.['line'], line);
  }
});

test('escaped ids and extra fields go through the general parser and mean the same', async () => {
  const idx = await indexOf(['*m"a', 'b\\c', 'd'], [['m"a', 'b\\c'], { from: 'b\\c', to: 'd', extra: { kind: 'heuristic', note: '"},' } }]);
  assert.deepEqual(idx.staticEvidence('d').path, ['m"a', 'b\\c', 'd']);
  assert.deepEqual(idx.staticEvidence('d').uncertainEdges, ['heuristic']);
});

test('limits: nodes, edges, candidate edges and line length are E_PAYLOAD_TOO_LARGE naming the limit', async () => {
  const limits = { maxNodes: 2, maxEdges: 1, maxLineBytes: 100 };
  await build([NODE_A, NODE_B, EDGE_AB], limits);
  await rejects(() => build([NODE_A, NODE_B, '{"kind":"node","id":"c","entry":false}'], limits), 'E_PAYLOAD_TOO_LARGE', /maxNodes = 2/);
  await rejects(() => build([NODE_A, NODE_B, EDGE_AB, EDGE_AB], limits), 'E_PAYLOAD_TOO_LARGE', /maxEdges = 1/);
  await rejects(
    () => build([NODE_A, NODE_B, '{"kind":"edge","from":"a","to":"b","extra":{"candidates":["a","b"]}}'], limits),
    'E_PAYLOAD_TOO_LARGE',
    /candidate edges .*maxEdges = 1/,
  );
  await rejects(
    () => build([NODE_A, `{"kind":"node","id":"${'b'.repeat(100)}","entry":false}`], limits),
    'E_PAYLOAD_TOO_LARGE',
    /line 2 .*100 bytes/,
  );
  await rejects(() => build([NODE_A], { ...limits, maxNodes: 0 }), 'E_INVALID_INPUT', /maxNodes/);
});

test('resolve: an exact symbol, then path and name with the separators of Go, Rust, Java, Ruby and native ids', async () => {
  const symbols = [
    'sym:go:golang.org/x/net/html.Parse',
    'sym:go:golang.org/x/net/html.Tokenizer.Next',
    'sym:go:golang.org/x/net/htmlx.Parse',
    'sym:rust:hyper::proto::h1::decode::Decoder::decode',
    'sym:java:com.acme.Util.parse(java.lang.String)',
    'sym:java:com.acme.Util.parse(int, java.util.Map<K,(V)>)',
    'sym:java:com.acme.Util.reparse()',
    'sym:ruby:Acme::Util#parse',
    'sym:native:libssl.so.3!SSL_read',
    'sym:exact.Parse',
  ];
  const idx = await indexOf(
    symbols.map((s, i) => ({ id: `n${i}`, symbol: s })),
    [],
  );
  // Equal to a graph symbol: that symbol alone.
  assert.deepEqual(idx.resolve('sym:exact.Parse'), ['sym:exact.Parse']);
  assert.deepEqual(idx.resolve('Parse'), ['sym:exact.Parse', 'sym:go:golang.org/x/net/html.Parse', 'sym:go:golang.org/x/net/htmlx.Parse']);
  assert.deepEqual(idx.resolve('Parse', 'golang.org/x/net/html'), ['sym:go:golang.org/x/net/html.Parse']);
  assert.deepEqual(idx.resolve('Tokenizer.Next', 'golang.org/x/net/html'), ['sym:go:golang.org/x/net/html.Tokenizer.Next']);
  assert.deepEqual(idx.resolve('Next'), ['sym:go:golang.org/x/net/html.Tokenizer.Next']);
  assert.deepEqual(idx.resolve('Decoder::decode', 'hyper::proto::h1::decode'), ['sym:rust:hyper::proto::h1::decode::Decoder::decode']);
  assert.deepEqual(idx.resolve('hyper::proto::h1::decode::Decoder::decode'), ['sym:rust:hyper::proto::h1::decode::Decoder::decode']);
  assert.deepEqual(idx.resolve('parse', 'com.acme.Util'), [
    'sym:java:com.acme.Util.parse(int, java.util.Map<K,(V)>)',
    'sym:java:com.acme.Util.parse(java.lang.String)',
  ]);
  assert.deepEqual(idx.resolve('parse'), [
    'sym:java:com.acme.Util.parse(int, java.util.Map<K,(V)>)',
    'sym:java:com.acme.Util.parse(java.lang.String)',
    'sym:ruby:Acme::Util#parse',
  ]);
  assert.deepEqual(idx.resolve('parse', 'Acme::Util'), ['sym:ruby:Acme::Util#parse']);
  assert.deepEqual(idx.resolve('SSL_read', 'libssl.so.3'), ['sym:native:libssl.so.3!SSL_read']);
  // A name must start at a separator: `parse` is not `reparse`; a path must end at one: `html` is not `htmlx`.
  assert.deepEqual(idx.resolve('arse'), []);
  assert.deepEqual(idx.resolve('Parse', 'net/html'), ['sym:go:golang.org/x/net/html.Parse']);
  assert.deepEqual(idx.resolve('Parse', 'x/net/html'), ['sym:go:golang.org/x/net/html.Parse']);
  assert.deepEqual(idx.resolve('Missing', 'golang.org/x/net/html'), []);
  assert.deepEqual(idx.resolve(''), []);
});

/** BFS over a plain edge list, in no particular order: the distances the index must agree with. */
function naiveDistance(
  nodes: readonly NodeSpec[],
  edges: readonly [string, string, string?][],
  target: string,
  certainOnly: boolean,
): number {
  const ids = nodes.map((n) => (typeof n === 'string' ? n.replace(/^\*/, '') : n.id));
  const sym = (i: number): string => {
    const n = nodes[i]!;
    return typeof n === 'string' ? ids[i]! : (n.symbol ?? n.id);
  };
  const dist = new Map<string, number>();
  let frontier = nodes.flatMap((n, i) => ((typeof n === 'string' ? n.startsWith('*') : n.entry === true) ? [ids[i]!] : []));
  for (const f of frontier) dist.set(f, 0);
  for (let d = 1; frontier.length > 0; d++) {
    const next: string[] = [];
    for (const [from, to, kind] of edges) {
      const cls = classifyEdge(kind === undefined ? undefined : kind === 'unresolved' ? { isResolved: false } : { kind });
      if (certainOnly && !CERTAIN_EDGES.has(cls)) continue;
      if (frontier.includes(from) && !dist.has(to)) {
        dist.set(to, d);
        next.push(to);
      }
    }
    frontier = next;
  }
  let best = Infinity;
  ids.forEach((id, i) => {
    if (sym(i) === target && dist.has(id)) best = Math.min(best, dist.get(id)!);
  });
  return best;
}

test('property: state and path length agree with a naive BFS; every step is an edge of the graph', async () => {
  const kinds = [undefined, undefined, 'runtime', 'heuristic', 'virtual', 'unresolved', 'ffi'] as const;
  const arb = fc.record({
    n: fc.integer({ min: 1, max: 9 }),
    entries: fc.array(fc.integer({ min: 0, max: 8 }), { maxLength: 3 }),
    syms: fc.array(fc.integer({ min: -1, max: 3 }), { minLength: 9, maxLength: 9 }),
    edges: fc.array(
      fc.tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: kinds.length - 1 })),
      { maxLength: 25 },
    ),
  });
  await fc.assert(
    fc.asyncProperty(arb, async ({ n, entries, syms, edges }) => {
      const nodes: NodeSpec[] = Array.from({ length: n }, (_, i) => {
        const s = syms[i]!;
        return { id: `n${i}`, entry: entries.includes(i), ...(s >= 0 ? { symbol: `s${s}` } : {}) };
      });
      const es = edges.filter(([f, t]) => f < n && t < n).map(([f, t, k]): [string, string, string?] => [`n${f}`, `n${t}`, kinds[k]]);
      const specs: EdgeSpec[] = es.map(([f, t, k]) => (k === undefined ? [f, t] : [f, t, k]));
      const idx = await indexOf(nodes, specs);
      for (const target of ['s0', 's1', 's2', 's3', 'n0', 'n5', 'n8']) {
        const ev = idx.staticEvidence(target);
        const certain = naiveDistance(nodes, es, target, true);
        const any = naiveDistance(nodes, es, target, false);
        const present = nodes.some((nd) => typeof nd !== 'string' && (nd.symbol ?? nd.id) === target);
        const want = !present ? 'absent' : certain < Infinity ? 'reachable' : any < Infinity ? 'uncertain' : 'unreachable';
        assert.equal(ev.state, want, target);
        if (want === 'reachable') assert.equal(ev.path.length - 1, certain);
        if (want === 'uncertain') {
          assert.equal(ev.path.length - 1, any);
          assert.ok(ev.uncertainEdges.length > 0);
        }
        for (let k = 1; k < ev.steps.length; k++) {
          const from = ev.steps[k - 1]!.nodeId;
          const step = ev.steps[k]!;
          const ok = es.some(([f, t, kind]) => {
            const cls = classifyEdge(kind === undefined ? undefined : kind === 'unresolved' ? { isResolved: false } : { kind });
            return f === from && t === step.nodeId && cls === step.edgeKind;
          });
          assert.ok(ok, `step ${from} -> ${step.nodeId} (${String(step.edgeKind)}) is an edge of the graph`);
        }
      }
    }),
    { numRuns: 300 },
  );
});

test('the big-graph helper writes the server normal form, and its known answers are what the index says', async () => {
  const g = bigGraph({ edges: 6_000, seed: 7 });
  const text = Buffer.concat([...g.chunks(4096)]);
  const parsed = await parseCallgraph(byteChunks(text), 'ndjson', {
    maxBytes: 1 << 26,
    maxLineBytes: 1 << 16,
    maxNodes: 1e5,
    maxEdges: 1e5,
  });
  assert.equal([...normalizedLines(parsed)].join(''), text.toString('utf8'));
  const idx = await buildReachIndex(byteChunks(text, 1000), REACH_TEST_LIMITS, 'big');
  assert.equal(idx.nodeCount, g.nodeCount);
  assert.equal(idx.edgeCount, g.edgeCount);
  const states = new Set<string>();
  for (let i = 0; i < g.nodeCount; i++) {
    const s = g.symbolOf(i);
    const want = g.expected(s);
    const ev = idx.staticEvidence(s);
    states.add(ev.state);
    assert.equal(ev.state, want.state, s);
    if (want.distance >= 0) assert.equal(ev.path.length - 1, want.distance, s);
  }
  for (const s of g.absent(3)) assert.equal(idx.staticEvidence(s).state, 'absent');
  assert.deepEqual([...states].sort(), ['reachable', 'uncertain', 'unreachable']);
  assert.equal(
    g.pick('main', 5, 1, 3).every((s) => g.expected(s).distance === 3),
    true,
  );
});
