import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256Digest } from '../../src/core/digest.js';
import { parseCallgraph } from '../../src/signals/callgraph-input.js';
import { chunks, ndjson, rejects } from './helpers.js';

const LIMITS = { maxBytes: 1 << 20, maxLineBytes: 4096, maxNodes: 100, maxEdges: 100 };

const GRAPH = [
  { kind: 'node', id: 'n1', symbol: 'sym:js:main', entry: true, file: 'src/index.js' },
  { kind: 'node', id: 'n2', symbol: 'sym:js:helper' },
  { kind: 'edge', from: 'n1', to: 'n2', weight: 0.5 },
];

describe('NDJSON callgraphs', () => {
  test('nodes, edges, entry points, extra fields, raw digest and size', async () => {
    const text = ndjson(GRAPH);
    const g = await parseCallgraph(chunks(text, 5), 'ndjson', LIMITS);
    assert.equal(g.form, 'ndjson');
    assert.deepEqual(g.nodes, [
      { id: 'n1', symbol: 'sym:js:main', entry: true, extra: { file: 'src/index.js' } },
      { id: 'n2', symbol: 'sym:js:helper', entry: false },
    ]);
    assert.deepEqual(g.edges, [{ from: 'n1', to: 'n2', extra: { weight: 0.5 } }]);
    assert.deepEqual(g.entryPoints, ['n1']);
    assert.equal(g.rawDigest, sha256Digest(text));
    assert.equal(g.rawBytes, Buffer.byteLength(text));
  });

  test('CRLF, blank lines, multi-byte UTF-8 split across chunks, an `extra` object merged', async () => {
    const text = `{"kind":"node","id":"ü😀","extra":{"a":1}}\r\n\r\n   \n{"kind":"node","id":"b","symbol":"s b"}\n{"kind":"edge","from":"ü😀","to":"b"}`;
    for (const size of [1, 2, 3, 7, 1000]) {
      const g = await parseCallgraph(chunks(text, size), 'ndjson', LIMITS);
      assert.deepEqual(g.nodes[0], { id: 'ü😀', entry: false, extra: { a: 1 } });
      assert.equal(g.edges.length, 1);
    }
  });

  const refusals: [string, string, RegExp][] = [
    [
      'unknown kind',
      ndjson([GRAPH[0], { kind: 'vertex', id: 'x' }]),
      /^NDJSON callgraph: line 2: "kind" is "vertex"; expected "node" or "edge"/,
    ],
    ['missing kind', ndjson([GRAPH[0], { id: 'x' }]), /line 2: "kind" is missing/],
    ['missing node id', ndjson([GRAPH[0], GRAPH[1], { kind: 'node', symbol: 's' }]), /line 3: node id missing/],
    ['bad node id', ndjson([{ kind: 'node', id: 'a\tb' }]), /line 1: node id character U\+0009/],
    ['bad symbol', ndjson([{ kind: 'node', id: 'a', symbol: '' }]), /line 1: "symbol" is not a valid symbol id: empty/],
    ['entry not boolean', ndjson([{ kind: 'node', id: 'a', entry: 'yes' }]), /line 1: "entry" must be true or false/],
    ['missing from', ndjson([...GRAPH, { kind: 'edge', to: 'n1' }]), /line 4: "from" is missing/],
    ['missing to', ndjson([...GRAPH, { kind: 'edge', from: 'n1' }]), /line 4: "to" is missing/],
    ['duplicate node id', ndjson([GRAPH[0], GRAPH[1], { kind: 'node', id: 'n1' }]), /line 3: duplicate node id "n1"/],
    [
      'edge to an unknown node',
      ndjson([GRAPH[0], { kind: 'edge', from: 'n1', to: 'ghost' }, GRAPH[1]]),
      /line 2: edge names node "ghost", which the graph does not define/,
    ],
    ['edge from an unknown node', ndjson([GRAPH[0], { kind: 'edge', from: 'ghost', to: 'n1' }]), /line 2: edge names node "ghost"/],
    ['no nodes', ndjson([]), /the graph has no nodes/],
    ['only blank lines', '\n\n\n', /the graph has no nodes/],
    ['not JSON', `${ndjson([GRAPH[0]])}{"kind":"node",\n`, /line 2: not JSON/],
    ['not an object', `${ndjson([GRAPH[0]])}[1,2]\n`, /line 2: expected a JSON object, got an array/],
    [
      'field both flat and in extra',
      ndjson([{ kind: 'node', id: 'a', file: 'x', extra: { file: 'y' } }]),
      /line 1: "file" is both a field and a member of "extra"/,
    ],
    ['extra not an object', ndjson([{ kind: 'node', id: 'a', extra: [1] }]), /line 1: "extra" must be an object/],
    ['too deep', `{"kind":"node","id":"a","x":${'['.repeat(40)}${']'.repeat(40)}}\n`, /line 1: nested more than 32 levels deep/],
    [
      'not UTF-8',
      Buffer.concat([Buffer.from(ndjson([GRAPH[0]])), Buffer.from([0x7b, 0xff, 0x7d, 0x0a])]).toString('latin1'),
      /^NDJSON callgraph line 2 is not valid UTF-8/,
    ],
  ];
  for (const [name, text, pattern] of refusals) {
    test(`refused: ${name} (E_INVALID_INPUT, 400)`, async () => {
      const body = name === 'not UTF-8' ? Buffer.from(text, 'latin1') : text;
      const e = await rejects(() => parseCallgraph(chunks(body, 3), 'ndjson', LIMITS), 'E_INVALID_INPUT', pattern);
      assert.equal(e.httpStatus, 400);
    });
  }

  test('limits are E_PAYLOAD_TOO_LARGE (413) naming the limit', async () => {
    const long = ndjson([GRAPH[0], { kind: 'node', id: 'n2', symbol: 'x'.repeat(1000) }]);
    let e = await rejects(
      () => parseCallgraph(chunks(long), 'ndjson', { ...LIMITS, maxLineBytes: 500 }),
      'E_PAYLOAD_TOO_LARGE',
      /^NDJSON callgraph line 2 is longer than 500 bytes/,
    );
    assert.equal(e.httpStatus, 413);
    // A line that never ends fails once the limit is passed, without waiting for the newline.
    async function* endless(): AsyncGenerator<Uint8Array> {
      yield Buffer.from(ndjson([GRAPH[0]]));
      for (;;) yield Buffer.alloc(256, 0x61);
    }
    await rejects(
      () => parseCallgraph(endless(), 'ndjson', { ...LIMITS, maxBytes: 1e9, maxLineBytes: 1000 }),
      'E_PAYLOAD_TOO_LARGE',
      /line 2 is longer/,
    );
    e = await rejects(
      () => parseCallgraph(chunks(ndjson(GRAPH)), 'ndjson', { ...LIMITS, maxBytes: 50 }),
      'E_PAYLOAD_TOO_LARGE',
      /larger than the limit of 50 bytes \(maxBytes\)/,
    );
    assert.deepEqual(e.details, { limit: 'maxBytes', maxBytes: 50 });
    await rejects(
      () => parseCallgraph(chunks(ndjson(GRAPH)), 'ndjson', { ...LIMITS, maxNodes: 1 }),
      'E_PAYLOAD_TOO_LARGE',
      /more than 1 nodes \(maxNodes\)/,
    );
    await rejects(
      () => parseCallgraph(chunks(ndjson([...GRAPH, GRAPH[2]])), 'ndjson', { ...LIMITS, maxEdges: 1 }),
      'E_PAYLOAD_TOO_LARGE',
      /more than 1 edges \(maxEdges\)/,
    );
  });
});

const STELLA = {
  schema: 'stella.callgraph.v1',
  scanKey: 'scan-42',
  language: 'java',
  artifacts: [{ artifactKey: 'app.jar', digest: 'sha256:00' }],
  nodes: [
    {
      id: 'n1',
      name: 'com.acme.App.main',
      kind: 'method',
      namespace: 'com.acme',
      file: 'App.java',
      line: 10,
      symbolKey: 'k1',
      visibility: 'public',
      isEntrypointCandidate: true,
      attributes: { static: 'true' },
    },
    { id: 'n2', name: 'com.acme.Util.run', kind: 'method' },
    { id: 'n3', name: 'com.acme.Web.handle', kind: 'method' },
  ],
  edges: [
    { sourceId: 'n1', targetId: 'n2', kind: 'static', reason: 'direct_call', weight: 1, isResolved: true, candidates: [] },
    { sourceId: 'n3', targetId: 'n2', kind: 'heuristic' },
  ],
  entrypoints: ['n3'],
  metadata: { tool: 'stella-callgraph-java' },
};

describe('stella.callgraph.v1 documents', () => {
  test('mapped to nodes and edges: name → symbol, isEntrypointCandidate or entrypoints → entry, the rest in extra', async () => {
    const text = JSON.stringify(STELLA, null, 2);
    const g = await parseCallgraph(chunks(text, 11), 'json', LIMITS);
    assert.equal(g.form, 'stella.callgraph.v1');
    assert.deepEqual(g.nodes[0], {
      id: 'n1',
      symbol: 'com.acme.App.main',
      entry: true,
      extra: {
        kind: 'method',
        namespace: 'com.acme',
        file: 'App.java',
        line: 10,
        symbolKey: 'k1',
        visibility: 'public',
        attributes: { static: 'true' },
      },
    });
    assert.equal(g.nodes[2]!.entry, true);
    assert.deepEqual(g.entryPoints, ['n1', 'n3']);
    assert.deepEqual(g.edges[0], {
      from: 'n1',
      to: 'n2',
      extra: { kind: 'static', reason: 'direct_call', weight: 1, isResolved: true, candidates: [] },
    });
    assert.deepEqual(g.meta, {
      schema: 'stella.callgraph.v1',
      scanKey: 'scan-42',
      language: 'java',
      artifacts: STELLA.artifacts,
      metadata: STELLA.metadata,
    });
    assert.equal(g.rawDigest, sha256Digest(text));
  });

  test('entry points may be objects naming nodeId', async () => {
    const g = await parseCallgraph(
      chunks(JSON.stringify({ ...STELLA, entrypoints: [{ nodeId: 'n2', kind: 'http', route: '/x' }] })),
      'json',
      LIMITS,
    );
    assert.deepEqual(g.entryPoints, ['n1', 'n2']);
  });

  const refusals: [string, unknown, RegExp][] = [
    ['wrong schema', { ...STELLA, schema: 'stella.callgraph.v2' }, /"schema" is "stella.callgraph.v2"; expected "stella.callgraph.v1"/],
    ['missing schema', { ...STELLA, schema: undefined }, /"schema" is missing/],
    ['no nodes', { ...STELLA, nodes: [], edges: [], entrypoints: [] }, /the graph has no nodes/],
    ['node without id', { ...STELLA, nodes: [STELLA.nodes[0], { name: 'x' }] }, /nodes\[1\]: node id missing/],
    ['duplicate node id', { ...STELLA, nodes: [...STELLA.nodes, { id: 'n2' }] }, /nodes\[3\]: duplicate node id "n2"/],
    ['bad node field type', { ...STELLA, nodes: [{ id: 'n1', line: -1 }] }, /nodes\[0\]: "line" must be a non-negative integer/],
    [
      'edge kind off the list',
      { ...STELLA, edges: [{ sourceId: 'n1', targetId: 'n2', kind: 'magic' }] },
      /edges\[0\]: "kind" must be one of static, heuristic, runtime/,
    ],
    ['edge without targetId', { ...STELLA, edges: [STELLA.edges[0], { sourceId: 'n1' }] }, /edges\[1\]: "targetId" is missing/],
    [
      'edge to an unknown node',
      { ...STELLA, edges: [STELLA.edges[0], { sourceId: 'n1', targetId: 'zz' }] },
      /edges\[1\]: edge names node "zz"/,
    ],
    ['entry point to an unknown node', { ...STELLA, entrypoints: ['n1', 'nope'] }, /entrypoints\[1\]: entry point names node "nope"/],
    ['nodes not an array', { ...STELLA, nodes: { a: { id: 'n1' } } }, /"nodes" must be an array/],
    ['not an object', [STELLA], /expected a JSON object/],
  ];
  for (const [name, doc, pattern] of refusals) {
    test(`refused: ${name} (E_INVALID_INPUT naming the index)`, async () => {
      await rejects(() => parseCallgraph(chunks(JSON.stringify(doc), 13), 'json', LIMITS), 'E_INVALID_INPUT', pattern);
    });
  }

  test('refused: truncated JSON, trailing data, empty body', async () => {
    const text = JSON.stringify(STELLA);
    await rejects(() => parseCallgraph(chunks(text.slice(0, -5)), 'json', LIMITS), 'E_INVALID_INPUT', /not valid JSON/);
    await rejects(() => parseCallgraph(chunks(`${text} {}`, 1), 'json', LIMITS), 'E_INVALID_INPUT', /not valid JSON|data after the end/);
    await rejects(() => parseCallgraph(chunks(''), 'json', LIMITS), 'E_INVALID_INPUT', /the body is empty/);
  });

  test('limits apply to the document form too', async () => {
    const text = JSON.stringify(STELLA);
    await rejects(() => parseCallgraph(chunks(text), 'json', { ...LIMITS, maxBytes: 100 }), 'E_PAYLOAD_TOO_LARGE', /maxBytes/);
    await rejects(() => parseCallgraph(chunks(text), 'json', { ...LIMITS, maxNodes: 2 }), 'E_PAYLOAD_TOO_LARGE', /maxNodes/);
    await rejects(() => parseCallgraph(chunks(text), 'json', { ...LIMITS, maxEdges: 1 }), 'E_PAYLOAD_TOO_LARGE', /maxEdges/);
  });
});
