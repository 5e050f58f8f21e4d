/** Zstandard codec (src/core/zstd.ts): round trips, bounded output, bombs, corrupt and truncated input, real zstd(1). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decompress as referenceDecompress } from 'zstd-napi';
import { ZSTD_MAX_LEVEL, zstdCompress, zstdCompressStream, zstdDecompress, zstdDecompressStream } from '../../src/core/zstd.js';
import { expectRejects } from '../helpers/model.js';
import { toolSkip } from '../helpers/tools.js';
import { assertUnder, chunked, collect, drain, fixedChunks, peakRssGrowth, repeated, zstdRleBomb } from './codec-helpers.js';
import { expectAttestryError } from './helpers.js';

const MiB = 1024 * 1024;

/** NDJSON-like text: compressible, like the blobs this stores. */
function ndjson(lines: number): Buffer {
  let s = '';
  for (let i = 0; i < lines; i++) s += `{"symbolId":"sym:java:com.example.C${i % 97}.m${i}","hitCount":${i}}\n`;
  return Buffer.from(s);
}

describe('zstd', () => {
  test('stream and one-shot forms round-trip with each other, for any chunking on both sides', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.nat({ max: 3000 }), { maxLength: 8 }),
        fc.array(fc.nat({ max: 600 }), { maxLength: 8 }),
        async (data, inCuts, outCuts) => {
          const streamed = await collect(zstdCompressStream(chunked(data, inCuts)));
          assert.deepEqual(await collect(zstdDecompressStream(chunked(streamed, outCuts), data.length, 'blob')), Buffer.from(data));
          assert.deepEqual(zstdDecompress(streamed, data.length, 'blob'), Buffer.from(data));
          const oneShot = zstdCompress(data);
          assert.deepEqual(await collect(zstdDecompressStream(chunked(oneShot, outCuts), data.length, 'blob')), Buffer.from(data));
          assert.deepEqual(zstdDecompress(oneShot, data.length, 'blob'), Buffer.from(data));
        },
      ),
      { numRuns: 150 },
    );
  });

  test('large inputs stream in bounded pieces, and the output is ordinary zstd', async () => {
    const data = Buffer.concat([ndjson(60_000), randomBytes(300_000)]);
    const parts: Buffer[] = [];
    for await (const part of zstdCompressStream(fixedChunks(data, 65_536), 9)) parts.push(part);
    assert.ok(parts.length > 1, 'several output buffers');
    assert.ok(parts.every((p) => p.length <= 131_591));
    const compressed = Buffer.concat(parts);
    assert.ok(compressed.length < data.length / 2, `compressed ${compressed.length} of ${data.length}`);
    assert.deepEqual(referenceDecompress(compressed), data);
    const out: Buffer[] = [];
    for await (const piece of zstdDecompressStream(fixedChunks(compressed, 4096), data.length, 'blob')) {
      assert.ok(piece.length <= 128 * 1024, 'one 128 KiB output buffer at a time');
      out.push(piece);
    }
    assert.deepEqual(Buffer.concat(out), data);
  });

  test('exactly the limit passes; one byte over is E_PAYLOAD_TOO_LARGE and nothing past the limit is yielded', async () => {
    const data = ndjson(20_000);
    const z = zstdCompress(data);
    assert.equal((await collect(zstdDecompressStream(chunked(z), data.length, 'batch b1'))).length, data.length);
    let seen = 0;
    const e = await expectRejects(
      async () => {
        for await (const piece of zstdDecompressStream(chunked(z), data.length - 1, 'batch b1')) seen += piece.length;
      },
      'E_PAYLOAD_TOO_LARGE',
      /batch b1 decompresses to more than \d+ bytes/,
    );
    assert.ok(seen <= data.length - 1, `yielded ${seen}`);
    assert.equal(e.httpStatus, 413);
    // The one-shot form refuses a frame that declares too much before decoding; and one that does not declare, while decoding.
    expectAttestryError(() => zstdDecompress(z, data.length - 1, 'batch b1'), 'E_PAYLOAD_TOO_LARGE');
    const undeclared = await collect(zstdCompressStream(chunked(data)));
    expectAttestryError(() => zstdDecompress(undeclared, data.length - 1, 'batch b1'), 'E_PAYLOAD_TOO_LARGE');
    assert.equal(zstdDecompress(undeclared, data.length, 'batch b1').length, data.length);
  });

  test('a 10 MB bomb that would inflate to ~330 GB is refused quickly with RSS growth under 100 MB', async () => {
    const bomb = zstdRleBomb((10 * MiB - 6) / 4);
    assert.equal(bomb.length, 10 * MiB);
    // The crafted frame is real zstd: a small prefix of the same construction decodes to zeros.
    assert.deepEqual(referenceDecompress(zstdRleBomb(3)), Buffer.alloc(3 * 131072));
    // The limit is well over the RSS bound, so a decoder that buffered its output could not pass.
    const limit = 256 * MiB;
    const t0 = performance.now();
    const growth = await peakRssGrowth(async (sample) => {
      await expectRejects(
        drain(zstdDecompressStream(fixedChunks(bomb, 65_536), limit, 'runtime-facts batch'), sample),
        'E_PAYLOAD_TOO_LARGE',
        /runtime-facts batch decompresses to more than 268435456 bytes/,
      );
      // All of it in one chunk, as a buffered body would arrive.
      await expectRejects(drain(zstdDecompressStream(chunked(bomb), limit, 'runtime-facts batch'), sample), 'E_PAYLOAD_TOO_LARGE');
    });
    const ms = performance.now() - t0;
    assertUnder(growth, 100 * MiB, 'zstd bomb');
    assert.ok(ms < 20_000, `took ${ms.toFixed(0)} ms`); // generous: the test machine may be busy
    // The one-shot form collects its output, so it is bounded by its limit (here 16 MiB), not by the bomb.
    const oneShot = await peakRssGrowth(async () => {
      expectAttestryError(() => zstdDecompress(bomb, 16 * MiB, 'runtime-facts batch'), 'E_PAYLOAD_TOO_LARGE');
    });
    assertUnder(oneShot, 100 * MiB, 'zstd bomb, one-shot');
  });

  test('many small frames concatenated (a bomb of frames) are counted across frames', async () => {
    const frame = zstdCompress(Buffer.alloc(4 * MiB));
    await expectRejects(drain(zstdDecompressStream(repeated(frame, 1000), 16 * MiB, 'blob')), 'E_PAYLOAD_TOO_LARGE');
    assert.equal(await drain(zstdDecompressStream(repeated(frame, 3), 12 * MiB, 'blob')), 12 * MiB);
  });

  test('truncated input is E_INVALID_INPUT saying so, wherever it is cut', async () => {
    const data = ndjson(5000);
    const z = zstdCompress(data);
    for (const cut of [1, 4, 6, 20, z.length >> 1, z.length - 1]) {
      await expectRejects(
        drain(zstdDecompressStream(chunked(z.subarray(0, cut)), data.length, 'blob x')),
        'E_INVALID_INPUT',
        /blob x is not valid zstd data/,
      );
      expectAttestryError(
        () => zstdDecompress(z.subarray(0, cut), data.length, 'blob x'),
        'E_INVALID_INPUT',
        /blob x is not valid zstd data/,
      );
    }
    await expectRejects(
      drain(zstdDecompressStream(chunked(z.subarray(0, z.length - 1)), data.length, 'blob x')),
      'E_INVALID_INPUT',
      /truncated/,
    );
    await expectRejects(drain(zstdDecompressStream(chunked(Buffer.alloc(0)), 10, 'blob x')), 'E_INVALID_INPUT', /blob x is empty/);
    expectAttestryError(() => zstdDecompress(Buffer.alloc(0), 10, 'blob x'), 'E_INVALID_INPUT', /blob x is empty/);
  });

  test('corrupt input is E_INVALID_INPUT: not zstd, flipped bytes (the checksum catches them), trailing garbage', async () => {
    await expectRejects(
      drain(zstdDecompressStream(chunked(Buffer.from('{"not":"zstd"}\n')), 100, 'batch')),
      'E_INVALID_INPUT',
      /batch is not valid zstd data/,
    );
    const data = ndjson(5000);
    const z = zstdCompress(data);
    for (const at of [10, z.length >> 1, z.length - 2]) {
      const bad = Buffer.from(z);
      bad[at] = bad[at]! ^ 0x55;
      await expectRejects(
        drain(zstdDecompressStream(chunked(bad), data.length * 2, 'batch')),
        'E_INVALID_INPUT',
        /batch is not valid zstd data/,
      );
      expectAttestryError(() => zstdDecompress(bad, data.length * 2, 'batch'), 'E_INVALID_INPUT');
    }
    const trailing = Buffer.concat([z, Buffer.from('garbage')]);
    await expectRejects(drain(zstdDecompressStream(chunked(trailing), data.length * 2, 'batch')), 'E_INVALID_INPUT');
    expectAttestryError(() => zstdDecompress(trailing, data.length * 2, 'batch'), 'E_INVALID_INPUT');
    // After a failure the shared one-shot decoder still works.
    assert.deepEqual(zstdDecompress(z, data.length, 'batch'), data);
  });

  test('a frame asking for a window over 8 MiB (RFC 9659) is refused before any allocation, saying why', async () => {
    const big = zstdRleBomb(2, 27);
    await expectRejects(drain(zstdDecompressStream(chunked(big), 1 * MiB, 'batch')), 'E_INVALID_INPUT', /window over 8 MiB/, /--long/);
    expectAttestryError(() => zstdDecompress(big, 1 * MiB, 'batch'), 'E_INVALID_INPUT', /window over 8 MiB/);
    assert.equal(zstdDecompress(zstdRleBomb(2, 23), 1 * MiB, 'batch').length, 2 * 131072);
  });

  test('levels outside 1..19 (and negative fast levels) are checked', () => {
    assert.ok(zstdCompress(Buffer.from('x'), -5).length > 0);
    assert.ok(zstdCompress(Buffer.from('x'), ZSTD_MAX_LEVEL).length > 0);
    expectAttestryError(() => zstdCompress(Buffer.from('x'), 22), 'E_INVALID_INPUT', /zstd level 22/);
    expectAttestryError(() => zstdCompress(Buffer.from('x'), 1.5), 'E_INVALID_INPUT');
    expectAttestryError(() => zstdDecompress(Buffer.from('x'), -1, 'x'), 'E_INVALID_INPUT', /limit/);
  });

  const noZstd = toolSkip('zstd', 'zstd');
  test('interoperates with zstd(1) both ways; `zstd --long` output is refused for its window', { skip: noZstd }, async () => {
    const data = ndjson(10_000);
    const ours = await collect(zstdCompressStream(fixedChunks(data, 10_000)));
    assert.deepEqual(execFileSync('zstd', ['-d', '-c', '-q'], { input: ours, maxBuffer: 64 * MiB }), data);
    for (const args of [['-3'], ['-19'], ['--no-check', '-1']]) {
      const theirs = execFileSync('zstd', [...args, '-c', '-q'], { input: data, maxBuffer: 64 * MiB });
      assert.deepEqual(await collect(zstdDecompressStream(fixedChunks(theirs, 777), data.length, 'upload')), data);
    }
    const long = execFileSync('zstd', ['--long=27', '-c', '-q'], { input: Buffer.concat([data, randomBytes(1000)]), maxBuffer: 64 * MiB });
    await expectRejects(drain(zstdDecompressStream(chunked(long), 64 * MiB, 'upload')), 'E_INVALID_INPUT', /window/);
  });
});
