/** NDJSON line splitting (src/core/ndjson-lines.ts): chunk boundaries anywhere, CRLF, blank lines, long lines, UTF-8. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ndjsonLineBatches, ndjsonLines, type NdjsonLine } from '../../src/core/ndjson-lines.js';
import { expectRejects } from '../helpers/model.js';
import { chunked, fixedChunks } from './codec-helpers.js';
import { expectAttestryError } from './helpers.js';

async function lines(source: AsyncIterable<Uint8Array>, max = 1 << 16, what = 'batch'): Promise<NdjsonLine[]> {
  const out: NdjsonLine[] = [];
  for await (const l of ndjsonLines(source, max, what)) out.push(l);
  return out;
}

/** The obvious, slow splitter the fast one must agree with. */
function reference(text: string): NdjsonLine[] {
  const parts = text.split('\n');
  if (parts.at(-1) === '') parts.pop();
  const out: NdjsonLine[] = [];
  parts.forEach((p, i) => {
    let t = p.endsWith('\r') ? p.slice(0, -1) : p;
    if (i === 0 && t.startsWith('\uFEFF')) t = t.slice(1);
    if (t.replace(/[ \t]/g, '') !== '') out.push({ text: t, line: i + 1 });
  });
  return out;
}

describe('ndjsonLines', () => {
  test('lines, numbers, CRLF, blank lines and a last line without newline', async () => {
    const text = '{"a":1}\r\n{"b":2}\n\n   \t\r\n\r\n{"c":"é"}\n{"d":4}';
    assert.deepEqual(await lines(chunked(Buffer.from(text))), [
      { text: '{"a":1}', line: 1 },
      { text: '{"b":2}', line: 2 },
      { text: '{"c":"é"}', line: 6 },
      { text: '{"d":4}', line: 7 },
    ]);
    assert.deepEqual(await lines(chunked(Buffer.from(''))), []);
    assert.deepEqual(await lines(chunked(Buffer.from('\n\n\r\n'))), []);
    assert.deepEqual(await lines(chunked(Buffer.from('x'))), [{ text: 'x', line: 1 }]);
    // A byte order mark before line 1 is dropped; elsewhere it is data.
    assert.deepEqual(await lines(chunked(Buffer.from('\uFEFF{"a":1}\n\uFEFF{}'), [1, 2])), [
      { text: '{"a":1}', line: 1 },
      { text: '\uFEFF{}', line: 2 },
    ]);
  });

  test('agrees with a naive splitter for any text cut into chunks anywhere (inside CRLF and multi-byte characters too)', async () => {
    const line = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, '')),
      fc.constantFrom('', ' ', '\t ', '{"symbolId":"sym:α→β","hitCount":1}', '€'.repeat(30)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(line, fc.constantFrom('\n', '\r\n')), { maxLength: 30 }),
        fc.boolean(),
        fc.array(fc.nat({ max: 2000 }), { maxLength: 20 }),
        async (rows, finalNewline, cuts) => {
          let text = rows.map(([l, end]) => l + end).join('');
          if (!finalNewline && rows.length > 0) text = text.replace(/\r?\n$/, '');
          const bytes = Buffer.from(text);
          const expected = reference(text);
          assert.deepEqual(await lines(chunked(bytes, cuts)), expected);
          const batched: NdjsonLine[] = [];
          for await (const batch of ndjsonLineBatches(chunked(bytes, cuts), 1 << 16, 'b')) {
            assert.ok(batch.length > 0, 'no empty batches');
            batched.push(...batch);
          }
          assert.deepEqual(batched, expected);
        },
      ),
      { numRuns: 400 },
    );
    // Byte by byte, the worst chunking there is.
    const text = '{"a":"ü"}\r\n\r\n{"b":"日本"}\n';
    assert.deepEqual(await lines(fixedChunks(Buffer.from(text), 1)), reference(text));
  });

  test('a line of exactly the limit passes (CRLF or not); one byte more is 413 naming its line', async () => {
    const max = 100;
    const ok = 'a'.repeat(max);
    for (const cuts of [[], [50], [100], [101], [102]]) {
      assert.deepEqual(await lines(chunked(Buffer.from(`x\n${ok}\r\n${ok}\ny`), cuts), max), [
        { text: 'x', line: 1 },
        { text: ok, line: 2 },
        { text: ok, line: 3 },
        { text: 'y', line: 4 },
      ]);
      const e = await expectRejects(
        lines(chunked(Buffer.from(`x\n\n${ok}a\r\ny`), cuts), max, 'runtime-facts batch'),
        'E_PAYLOAD_TOO_LARGE',
        /runtime-facts batch line 3 is longer than 100 bytes/,
      );
      assert.equal(e.httpStatus, 413);
      assert.deepEqual(e.details, { line: 3, maxLineBytes: max });
    }
    // The last line, without a newline, is held to the same limit.
    await expectRejects(lines(chunked(Buffer.from(`x\n${ok}a`)), max), 'E_PAYLOAD_TOO_LARGE', /line 2 /);
  });

  test('an over-long line is refused before its newline arrives, with memory bounded by the limit', async () => {
    const max = 64 * 1024;
    let pulled = 0;
    let closed = false;
    async function* endlessLine(): AsyncIterable<Uint8Array> {
      try {
        yield Buffer.from('{"symbolId":"a"}\n\n');
        for (;;) {
          pulled++;
          yield Buffer.alloc(1000, 0x61);
        }
      } finally {
        closed = true;
      }
    }
    await expectRejects(lines(endlessLine(), max), 'E_PAYLOAD_TOO_LARGE', /batch line 3 is longer than 65536 bytes/);
    assert.ok(pulled <= Math.ceil(max / 1000) + 1, `pulled ${pulled} KB for a ${max}-byte limit`);
    assert.ok(closed, 'the source was closed');
  });

  test('bytes that are not UTF-8 are E_INVALID_INPUT naming the line, inside a chunk or across chunks', async () => {
    const bad = Buffer.concat([Buffer.from('{"a":1}\n{"b":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n{"c":3}\n')]);
    for (const cuts of [[], [9], [15], [16], [bad.length - 3]]) {
      const e = await expectRejects(lines(chunked(bad, cuts)), 'E_INVALID_INPUT', /batch line 2 is not valid UTF-8/);
      assert.deepEqual(e.details, { line: 2 });
    }
    // A truncated sequence at the very end of the stream.
    await expectRejects(lines(chunked(Buffer.from([0x7b, 0x7d, 0x0a, 0xe2, 0x82]))), 'E_INVALID_INPUT', /line 2/);
  });

  test('Uint8Array chunks that are not Buffers work; a bad limit is refused', async () => {
    const bytes = new TextEncoder().encode('a\nb\n');
    async function* plain(): AsyncIterable<Uint8Array> {
      yield bytes.subarray(0, 3);
      yield bytes.subarray(3);
    }
    assert.deepEqual(await lines(plain()), [
      { text: 'a', line: 1 },
      { text: 'b', line: 2 },
    ]);
    expectAttestryError(() => ndjsonLines(plain(), 0, 'b'), 'E_INVALID_INPUT', /line limit 0/);
  });

  test('stopping early closes the source', async () => {
    let closed = false;
    async function* source(): AsyncIterable<Uint8Array> {
      try {
        for (;;) yield Buffer.from('{"a":1}\n{"a":2}\n');
      } finally {
        closed = true;
      }
    }
    let n = 0;
    for await (const l of ndjsonLines(source(), 100, 'b')) if (++n === 5 && l.line === 5) break;
    assert.equal(n, 5);
    assert.ok(closed);
  });
});
