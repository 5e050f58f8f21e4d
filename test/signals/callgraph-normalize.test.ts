import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseCallgraph } from '../../src/signals/callgraph-input.js';
import { edgeLine, normalizedChunks, normalizedDigest, normalizedLines } from '../../src/signals/callgraph-normalize.js';
import { chunks, ndjson } from './helpers.js';

const LIMITS = { maxBytes: 1 << 24, maxLineBytes: 1 << 16, maxNodes: 10_000, maxEdges: 10_000 };

function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = (s >>> 8) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function records(): object[] {
  const out: object[] = [];
  for (let i = 0; i < 50; i++)
    out.push({ kind: 'node', id: `n${i}`, symbol: `sym:x:f${i}`, entry: i % 10 === 0, extra: { line: i, file: `f${i % 3}.js` } });
  for (let i = 0; i < 200; i++)
    out.push({ kind: 'edge', from: `n${i % 50}`, to: `n${(i * 7) % 50}`, extra: { kind: i % 2 ? 'static' : 'runtime' } });
  // Duplicate (from, to) pairs with different extras: ordered by their whole line.
  out.push({ kind: 'edge', from: 'n1', to: 'n2', extra: { kind: 'heuristic' } }, { kind: 'edge', from: 'n1', to: 'n2' });
  return out;
}

test('the normalised form: nodes by id, then edges by (from, to), keys in a fixed order, canonical extra', async () => {
  const text = ndjson([
    { kind: 'edge', to: 'a', from: 'b', z: 1, a: [2, { y: 1, x: 2 }] },
    { kind: 'node', id: 'b' },
    { entry: true, symbol: 'sym:a', id: 'a', kind: 'node' },
    { kind: 'edge', from: 'a', to: 'b' },
  ]);
  const g = await parseCallgraph(chunks(text), 'ndjson', LIMITS);
  assert.deepEqual(
    [...normalizedLines(g)],
    [
      '{"kind":"node","id":"a","symbol":"sym:a","entry":true}\n',
      '{"kind":"node","id":"b","entry":false}\n',
      '{"kind":"edge","from":"a","to":"b"}\n',
      '{"kind":"edge","from":"b","to":"a","extra":{"a":[2,{"x":2,"y":1}],"z":1}}\n',
    ],
  );
});

test('the same graph in any order gives the same bytes and digest', async () => {
  const base = records();
  const digests = new Set<string>();
  const bytes = new Set<string>();
  for (const seed of [1, 2, 3, 99]) {
    const g = await parseCallgraph(chunks(ndjson(shuffle(base, seed)), 97), 'ndjson', LIMITS);
    digests.add(normalizedDigest(g));
    bytes.add([...normalizedLines(g)].join(''));
  }
  assert.equal(digests.size, 1);
  assert.equal(bytes.size, 1);
  // The digest is sha256 of exactly the lines, however they are chunked.
  const g = await parseCallgraph(chunks(ndjson(base)), 'ndjson', LIMITS);
  const joined = Buffer.concat([...normalizedChunks(g, 100)]);
  assert.equal(joined.toString('utf8'), [...normalizedLines(g)].join(''));
  assert.equal(normalizedDigest(g), `sha256:${createHash('sha256').update(joined).digest('hex')}`);
});

test('normalised output reads back in as NDJSON unchanged (idempotent)', async () => {
  const g = await parseCallgraph(chunks(ndjson(records())), 'ndjson', LIMITS);
  const once = [...normalizedLines(g)].join('');
  const again = await parseCallgraph(chunks(once), 'ndjson', LIMITS);
  assert.equal([...normalizedLines(again)].join(''), once);
});

test('NDJSON and stella.callgraph.v1 of the same graph have the same normalised digest', async () => {
  const stella = {
    schema: 'stella.callgraph.v1',
    scanKey: 's',
    language: 'java',
    artifacts: [],
    nodes: [
      { id: 'm2', name: 'sym:java:B.b', kind: 'method', line: 3 },
      { id: 'm1', name: 'sym:java:A.a', kind: 'method', isEntrypointCandidate: true, attributes: { http: 'GET /' } },
    ],
    edges: [{ sourceId: 'm1', targetId: 'm2', kind: 'static', weight: 1, isResolved: true }],
    entrypoints: [],
    metadata: {},
  };
  const lines = ndjson([
    { kind: 'edge', from: 'm1', to: 'm2', extra: { isResolved: true, kind: 'static', weight: 1 } },
    { kind: 'node', id: 'm1', symbol: 'sym:java:A.a', entry: true, extra: { kind: 'method', attributes: { http: 'GET /' } } },
    { kind: 'node', id: 'm2', symbol: 'sym:java:B.b', line: 3, extra: { kind: 'method' } },
  ]);
  const a = await parseCallgraph(chunks(JSON.stringify(stella), 17), 'json', LIMITS);
  const b = await parseCallgraph(chunks(lines), 'ndjson', LIMITS);
  assert.notEqual(a.rawDigest, b.rawDigest);
  assert.equal(normalizedDigest(a), normalizedDigest(b));
  assert.deepEqual(a.entryPoints, b.entryPoints);
});

test('numbers and strings are written the RFC 8785 way; lone surrogates in extra are refused naming the record', async () => {
  const g = await parseCallgraph(chunks(ndjson([{ kind: 'node', id: 'a', big: 1e21, neg: -0, f: 0.1, s: 'é\u2028' }])), 'ndjson', LIMITS);
  assert.deepEqual(
    [...normalizedLines(g)],
    ['{"kind":"node","id":"a","entry":false,"extra":{"big":1e+21,"f":0.1,"neg":0,"s":"é\u2028"}}\n'],
  );
  const bad = await parseCallgraph(chunks('{"kind":"node","id":"a","s":"\\ud800"}\n'), 'ndjson', LIMITS);
  assert.throws(
    () => [...normalizedLines(bad)],
    (e: unknown) => e instanceof Error && /node "a": its extra fields cannot be stored as canonical JSON/.test(e.message),
  );
});

test('edge order equals a plain (from, to, line) string sort, for duplicate pairs with and without extras and ids of any characters', async () => {
  const fc = (await import('fast-check')).default;
  const id = fc.constantFrom('a', 'b', 'B', 'aa', 'a b', 'é', 'z\u00e9', '\u{1F600}', '10', '9');
  const edge = fc.record({ from: id, to: id, extra: fc.option(fc.constantFrom({ k: 1 }, { k: 2 }, { w: 'x' }), { nil: undefined }) });
  fc.assert(
    fc.property(fc.array(edge, { maxLength: 60 }), (edges) => {
      const ids = [...new Set(edges.flatMap((e) => [e.from, e.to]))];
      const graph = {
        nodes: ids.map((i) => ({ id: i, entry: false })),
        edges: edges.map((e) => (e.extra === undefined ? { from: e.from, to: e.to } : e)),
        entryPoints: [],
        rawDigest: 'sha256:' as `sha256:${string}`,
        rawBytes: 0,
        form: 'ndjson' as const,
      };
      const got = [...normalizedLines(graph)].slice(ids.length);
      const byPair = (x: { from: string; to: string; line: string }, y: { from: string; to: string; line: string }): number =>
        x.from !== y.from
          ? x.from < y.from
            ? -1
            : 1
          : x.to !== y.to
            ? x.to < y.to
              ? -1
              : 1
            : x.line < y.line
              ? -1
              : x.line > y.line
                ? 1
                : 0;
      const lines = graph.edges.map((e) => ({ from: e.from, to: e.to, line: edgeLine(e) }));
      assert.deepEqual(
        got,
        lines.sort(byPair).map((l) => l.line),
      );
    }),
    { numRuns: 300 },
  );
});
