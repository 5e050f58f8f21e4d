import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256Digest } from '../../src/core/digest.js';
import { factLines, readFactBatch } from '../../src/signals/facts-input.js';
import { formatInstant } from '../../src/signals/facts-aggregate.js';
import { parseInstant } from '../../src/signals/facts-validate.js';
import { chunks, collect, ndjson, rejects } from './helpers.js';

const LIMITS = { maxBytes: 1 << 20, maxLineBytes: 64 * 1024, maxFacts: 1000 };

const FACTS = [
  {
    symbolId: 'sym:java:A.a',
    hitCount: 3,
    observedAt: '2025-12-19T10:00:02Z',
    codeId: 'c1',
    loaderBase: '0x1000',
    processId: 7,
    processName: 'java',
    purl: 'pkg:maven/com.acme/app@1.0',
    metadata: { k: 'v' },
  },
  { symbolId: 'sym:java:A.a', observedAt: '2025-12-19T12:00:01+02:00', codeId: 'c1', loaderBase: '0x1000', type: 'symbol_hit' },
  {
    symbolId: 'sym:java:A.a',
    hitCount: 0,
    type: 'process_start',
    codeId: 'c1',
    loaderBase: '0x1000',
    observedAt: '2025-12-19T10:00:05.123456789Z',
  },
  { symbolId: 'sym:java:A.a', codeId: 'c2' },
  {
    symbolId: 'sym:java:B.b',
    hitCount: 5,
    buildId: 'b',
    socketAddress: '10.0.0.1:443',
    containerId: 'ctr',
    evidenceUri: 'cas://x',
    codeId: null,
    unknownField: true,
  },
];

describe('runtime-fact batches (NDJSON)', () => {
  test('summary: counts, types, first/last observed, aggregates per (symbolId, codeId, loaderBase), hash of the bytes as sent', async () => {
    const text = ndjson(FACTS);
    const seen: Buffer[] = [];
    const s = await readFactBatch(chunks(text, 9), 'ndjson', LIMITS, (c) => {
      seen.push(Buffer.from(c));
    });
    assert.equal(Buffer.concat(seen).toString('utf8'), text, 'onChunk sees every byte, in order');
    assert.equal(s.provenanceHash, sha256Digest(text));
    assert.equal(s.rawBytes, Buffer.byteLength(text));
    assert.equal(s.factCount, 5);
    assert.deepEqual(s.factTypes, ['process_start', 'symbol_hit']);
    assert.equal(s.firstObserved, '2025-12-19T10:00:01.000Z');
    assert.equal(s.lastObserved, '2025-12-19T10:00:05.123456789Z');
    assert.deepEqual(s.aggregates, [
      {
        symbolId: 'sym:java:A.a',
        codeId: 'c1',
        loaderBase: '0x1000',
        factTypes: ['process_start', 'symbol_hit'],
        hitCount: 4,
        firstSeen: '2025-12-19T10:00:01.000Z',
        lastSeen: '2025-12-19T10:00:05.123456789Z',
      },
      { symbolId: 'sym:java:A.a', codeId: 'c2', loaderBase: '', factTypes: ['symbol_hit'], hitCount: 1, firstSeen: null, lastSeen: null },
      { symbolId: 'sym:java:B.b', codeId: '', loaderBase: '', factTypes: ['symbol_hit'], hitCount: 5, firstSeen: null, lastSeen: null },
    ]);
    assert.equal(s.callgraphId, undefined);
  });

  const refusals: [string, string, RegExp][] = [
    ['empty batch', '', /the batch is empty/],
    ['blank lines only', '\n \n\r\n', /the batch is empty/],
    ['a fact without symbolId', ndjson([FACTS[0], FACTS[1], { hitCount: 1 }]), /^runtime-fact batch: line 3: the fact has no "symbolId"/],
    ['symbolId null', ndjson([{ symbolId: null }]), /line 1: the fact has no "symbolId"/],
    ['bad symbolId', ndjson([{ symbolId: 'a\nb' }]), /line 1: "symbolId" is not a valid symbol id/],
    ['not JSON', `${ndjson([FACTS[0]])}{"symbolId":\n`, /line 2: not JSON/],
    ['not an object', `${ndjson([FACTS[0]])}\n\n"sym"\n`, /line 4: expected a JSON object \(one fact\), got a string/],
    ['hitCount negative', ndjson([{ symbolId: 's', hitCount: -1 }]), /line 1: "hitCount" must be a non-negative integer, got -1/],
    ['hitCount fractional', ndjson([{ symbolId: 's', hitCount: 1.5 }]), /"hitCount" must be a non-negative integer/],
    ['hitCount a string', ndjson([{ symbolId: 's', hitCount: '3' }]), /"hitCount" must be a non-negative integer, got a string/],
    ['observedAt not ISO', ndjson([{ symbolId: 's', observedAt: 'yesterday' }]), /line 1: "observedAt" must be an ISO-8601 timestamp/],
    ['observedAt 30 February', ndjson([{ symbolId: 's', observedAt: '2025-02-30T00:00:00Z' }]), /"observedAt" must be an ISO-8601/],
    [
      'observedAt a number',
      ndjson([{ symbolId: 's', observedAt: 1766138400 }]),
      /"observedAt" must be an ISO-8601 timestamp .* got a number/,
    ],
    ['type bad', ndjson([{ symbolId: 's', type: 'has space' }]), /"type" must be a fact type/],
    ['codeId not a string', ndjson([{ symbolId: 's', codeId: 5 }]), /"codeId" must be a string, got a number/],
    ['processId negative', ndjson([{ symbolId: 's', processId: -3 }]), /"processId" must be a non-negative integer/],
    ['purl invalid', ndjson([{ symbolId: 's', purl: 'npm:left-pad' }]), /"purl" must be a valid Package URL/],
    ['metadata an array', ndjson([{ symbolId: 's', metadata: [1] }]), /"metadata" must be an object, got an array/],
    ['reserved provenance_hash', ndjson([{ symbolId: 's', provenance_hash: 'sha256:00' }]), /"provenance_hash" is reserved/],
    [
      'hit count overflow',
      ndjson([
        { symbolId: 's', hitCount: Number.MAX_SAFE_INTEGER },
        { symbolId: 's', hitCount: 1 },
      ]),
      /line 2: the hit counts of symbol "s" add up to more than 2\^53 - 1/,
    ],
  ];
  for (const [name, text, pattern] of refusals) {
    test(`refused: ${name} (E_INVALID_INPUT 400, naming the line)`, async () => {
      const e = await rejects(() => readFactBatch(chunks(text, 4), 'ndjson', LIMITS), 'E_INVALID_INPUT', pattern);
      assert.equal(e.httpStatus, 400);
    });
  }

  test('a line over 64 KiB is E_PAYLOAD_TOO_LARGE (413) naming the line; maxBytes and maxFacts too', async () => {
    const big = ndjson([FACTS[0], FACTS[1], { symbolId: 's', metadata: { pad: 'x'.repeat(70 * 1024) } }]);
    const e = await rejects(
      () => readFactBatch(chunks(big), 'ndjson', LIMITS),
      'E_PAYLOAD_TOO_LARGE',
      /^runtime-fact batch line 3 is longer than 65536 bytes/,
    );
    assert.equal(e.httpStatus, 413);
    await rejects(() => readFactBatch(chunks(ndjson(FACTS)), 'ndjson', { ...LIMITS, maxBytes: 100 }), 'E_PAYLOAD_TOO_LARGE', /maxBytes/);
    await rejects(
      () => readFactBatch(chunks(ndjson(FACTS)), 'ndjson', { ...LIMITS, maxFacts: 4 }),
      'E_PAYLOAD_TOO_LARGE',
      /more than 4 facts \(maxFacts\)/,
    );
  });
});

describe('runtime-facts documents {subject, callgraphId, events}', () => {
  const doc = { subject: { imageDigest: 'sha256:ab' }, callgraphId: '01HWXYZ123456789ABCDEFGHJK', events: FACTS };

  test('same summary as the NDJSON form, plus callgraphId and subject', async () => {
    const text = JSON.stringify(doc);
    const s = await readFactBatch(chunks(text, 10), 'json', LIMITS);
    const n = await readFactBatch(chunks(ndjson(FACTS)), 'ndjson', LIMITS);
    assert.deepEqual(s.aggregates, n.aggregates);
    assert.equal(s.factCount, 5);
    assert.equal(s.callgraphId, doc.callgraphId);
    assert.deepEqual(s.subject, doc.subject);
    assert.equal(s.provenanceHash, sha256Digest(text));
  });

  test('refusals name the event', async () => {
    await rejects(
      () => readFactBatch(chunks(JSON.stringify({ ...doc, events: [FACTS[0], {}] })), 'json', LIMITS),
      'E_INVALID_INPUT',
      /^runtime-facts document: event 2 \(events\[1\]\): the fact has no "symbolId"/,
    );
    await rejects(
      () => readFactBatch(chunks(JSON.stringify({ ...doc, events: [] })), 'json', LIMITS),
      'E_INVALID_INPUT',
      /the batch is empty/,
    );
    await rejects(() => readFactBatch(chunks(JSON.stringify({ subject: 1 })), 'json', LIMITS), 'E_INVALID_INPUT', /the batch is empty/);
    await rejects(
      () => readFactBatch(chunks(JSON.stringify({ ...doc, callgraphId: 5 })), 'json', LIMITS),
      'E_INVALID_INPUT',
      /"callgraphId" must be a string/,
    );
    await rejects(
      () => readFactBatch(chunks(JSON.stringify({ ...doc, events: { a: FACTS[0] } })), 'json', LIMITS),
      'E_INVALID_INPUT',
      /"events" must be an array/,
    );
    await rejects(() => readFactBatch(chunks(JSON.stringify(FACTS)), 'json', LIMITS), 'E_INVALID_INPUT', /expected a JSON object/);
    await rejects(() => readFactBatch(chunks(JSON.stringify(doc).slice(0, -3)), 'json', LIMITS), 'E_INVALID_INPUT', /not valid JSON/);
    const big = { ...doc, events: [FACTS[0], { symbolId: 's', metadata: { pad: 'x'.repeat(70 * 1024) } }] };
    await rejects(
      () => readFactBatch(chunks(JSON.stringify(big)), 'json', LIMITS),
      'E_PAYLOAD_TOO_LARGE',
      /event 2 \(events\[1\]\) is longer than the limit/,
    );
  });
});

test('factLines yields each stored fact with its line or event number', async () => {
  const text = `${JSON.stringify(FACTS[0])}\n\n  ${JSON.stringify(FACTS[1])}  \r\n${JSON.stringify(FACTS[2])}`;
  const lines = await collect(factLines(chunks(text, 5), 'ndjson'));
  assert.deepEqual(lines, [
    { line: JSON.stringify(FACTS[0]), index: 1 },
    { line: JSON.stringify(FACTS[1]), index: 3 },
    { line: JSON.stringify(FACTS[2]), index: 4 },
  ]);
  const docLines = await collect(factLines(chunks(JSON.stringify({ subject: null, events: FACTS.slice(0, 2) }), 7), 'json'));
  assert.deepEqual(docLines, [
    { line: JSON.stringify(FACTS[0]), index: 1 },
    { line: JSON.stringify(FACTS[1]), index: 2 },
  ]);
});

test('timestamps: offsets, nanoseconds, leap days; rollovers refused', () => {
  assert.deepEqual(parseInstant('2025-12-19T12:00:00+02:00'), { ms: Date.UTC(2025, 11, 19, 10), sub: 0 });
  assert.deepEqual(parseInstant('2025-12-19T10:00:00.000000001Z'), { ms: Date.UTC(2025, 11, 19, 10), sub: 1 });
  assert.equal(formatInstant({ ms: Date.UTC(2025, 11, 19, 10), sub: 1 }), '2025-12-19T10:00:00.000000001Z');
  assert.equal(formatInstant({ ms: Date.UTC(2025, 11, 19, 10, 0, 0, 5), sub: 0 }), '2025-12-19T10:00:00.005Z');
  assert.ok(parseInstant('2024-02-29T00:00:00Z'));
  for (const bad of [
    '2023-02-29T00:00:00Z',
    '2025-12-19T24:00:00Z',
    '2025-13-01T00:00:00Z',
    '2025-12-19 10:00:00Z',
    '2025-12-19T10:00:00',
    '2025-12-19T10:00:60Z',
  ]) {
    assert.equal(parseInstant(bad), null, bad);
  }
});
