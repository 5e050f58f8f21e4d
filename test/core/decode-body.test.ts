/** Content-Encoding of request bodies (src/core/decode-body.ts): codings, bounds, bombs, broken input. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { decodeContent, parseContentEncoding, SUPPORTED_CONTENT_ENCODINGS } from '../../src/core/decode-body.js';
import { AttestryError } from '../../src/core/errors.js';
import { zstdCompress } from '../../src/core/zstd.js';
import { expectRejects } from '../helpers/model.js';
import { assertUnder, chunked, collect, drain, fixedChunks, gzipZeros, peakRssGrowth, repeated, zstdRleBomb } from './codec-helpers.js';
import { expectAttestryError } from './helpers.js';

const MiB = 1024 * 1024;

/** A source that fails the test if anyone reads it. */
async function* untouchable(): AsyncIterable<Uint8Array> {
  await Promise.resolve();
  assert.fail('the body was read');
  yield new Uint8Array(0);
}

describe('decodeContent', () => {
  test('Content-Encoding values: absent, identity, gzip, x-gzip, zstd in any case; others refused naming the supported ones', () => {
    for (const v of [undefined, '', 'identity', ' Identity ']) assert.equal(parseContentEncoding(v), 'identity');
    for (const v of ['gzip', 'GZIP', 'x-gzip', ' X-Gzip']) assert.equal(parseContentEncoding(v), 'gzip');
    assert.equal(parseContentEncoding('zstd'), 'zstd');
    const e = expectAttestryError(
      () => parseContentEncoding('br'),
      'E_INVALID_INPUT',
      /Content-Encoding "br" is not supported/,
      /identity, gzip, x-gzip, zstd/,
    );
    assert.deepEqual(e.details?.['supported'], [...SUPPORTED_CONTENT_ENCODINGS]);
    expectAttestryError(() => parseContentEncoding('gzip, zstd'), 'E_INVALID_INPUT', /stacks several codings/);
    expectAttestryError(() => parseContentEncoding('deflate'), 'E_INVALID_INPUT', /one of identity, gzip, x-gzip, zstd/);
    // A bad header is refused before a byte of the body is read.
    expectAttestryError(() => decodeContent(untouchable(), 'compress', 100, 'batch'), 'E_INVALID_INPUT', /"compress"/);
  });

  test('every coding yields the bytes the client compressed, for any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4000 }), fc.array(fc.nat({ max: 4000 }), { maxLength: 10 }), async (data, cuts) => {
        const plain = Buffer.from(data);
        assert.deepEqual(await collect(decodeContent(chunked(plain, cuts), undefined, plain.length, 'b')), plain);
        assert.deepEqual(await collect(decodeContent(chunked(plain, cuts), 'identity', plain.length, 'b')), plain);
        const gz = gzipSync(plain);
        assert.deepEqual(await collect(decodeContent(chunked(gz, cuts), 'gzip', plain.length, 'b')), plain);
        assert.deepEqual(await collect(decodeContent(chunked(gz, cuts), 'x-gzip', plain.length, 'b')), plain);
        const zs = zstdCompress(plain);
        assert.deepEqual(await collect(decodeContent(chunked(zs, cuts), 'zstd', plain.length, 'b')), plain);
      }),
      { numRuns: 100 },
    );
    // gzip members concatenated decode as one body, as gunzip(1) does.
    const two = Buffer.concat([gzipSync('a\n'), gzipSync('b\n')]);
    assert.equal((await collect(decodeContent(chunked(two), 'gzip', 100, 'b'))).toString(), 'a\nb\n');
  });

  test('the decoded size is bounded for every coding: exactly the limit passes, one byte more is 413', async () => {
    const data = randomBytes(50_000);
    const bodies = { identity: data, gzip: gzipSync(data), zstd: zstdCompress(data) };
    for (const [coding, body] of Object.entries(bodies)) {
      assert.equal(await drain(decodeContent(fixedChunks(body, 8192), coding, data.length, 'runtime-facts batch')), data.length);
      const e = await expectRejects(
        drain(decodeContent(fixedChunks(body, 8192), coding, data.length - 1, 'runtime-facts batch')),
        'E_PAYLOAD_TOO_LARGE',
        new RegExp(`runtime-facts batch (is|decompresses to) more than ${data.length - 1} bytes`),
      );
      assert.equal(e.httpStatus, 413);
    }
  });

  test('a 10 MB gzip bomb (~10 GB inflated) and a 10 MB zstd bomb are refused with RSS growth under 100 MB', async () => {
    const member = gzipZeros(64); // ~64 KB that inflate to 64 MiB
    const count = Math.ceil((10 * MiB) / member.length);
    const limit = 256 * MiB; // over the RSS bound: buffering the output could not pass
    const zbomb = zstdRleBomb((10 * MiB - 6) / 4);
    const t0 = performance.now();
    const growth = await peakRssGrowth(async (sample) => {
      await expectRejects(
        drain(decodeContent(repeated(member, count), 'gzip', limit, 'runtime-facts batch'), sample),
        'E_PAYLOAD_TOO_LARGE',
        /runtime-facts batch decompresses to more than 268435456 bytes/,
      );
      // The same bomb as one 10 MB chunk.
      const whole = Buffer.concat(Array.from({ length: count }, () => member));
      await expectRejects(drain(decodeContent(chunked(whole), 'gzip', limit, 'batch'), sample), 'E_PAYLOAD_TOO_LARGE');
      await expectRejects(drain(decodeContent(fixedChunks(zbomb, 65_536), 'zstd', limit, 'batch'), sample), 'E_PAYLOAD_TOO_LARGE');
    });
    assertUnder(growth, 100 * MiB, 'gzip and zstd bombs');
    assert.ok(performance.now() - t0 < 30_000, 'refused within seconds (generous: the test machine may be busy)');
  });

  test('truncated, corrupt, empty and trailing-garbage gzip are E_INVALID_INPUT naming the body', async () => {
    const data = Buffer.from('{"symbolId":"s"}\n'.repeat(2000));
    const gz = gzipSync(data);
    for (const cut of [3, 10, gz.length >> 1, gz.length - 1]) {
      await expectRejects(
        drain(decodeContent(chunked(gz.subarray(0, cut)), 'gzip', MiB, 'batch b7')),
        'E_INVALID_INPUT',
        /batch b7 is not valid gzip data/,
      );
    }
    await expectRejects(drain(decodeContent(chunked(gz.subarray(0, gz.length - 1)), 'gzip', MiB, 'b')), 'E_INVALID_INPUT', /truncated/);
    const flipped = Buffer.from(gz);
    flipped[gz.length >> 1] = flipped[gz.length >> 1]! ^ 0xff;
    await expectRejects(
      drain(decodeContent(chunked(flipped), 'gzip', MiB, 'batch b7')),
      'E_INVALID_INPUT',
      /batch b7 is not valid gzip data/,
    );
    await expectRejects(drain(decodeContent(chunked(data), 'gzip', MiB, 'batch b7')), 'E_INVALID_INPUT', /incorrect header check/);
    await expectRejects(drain(decodeContent(chunked(Buffer.alloc(0)), 'gzip', MiB, 'batch b7')), 'E_INVALID_INPUT', /batch b7 is empty/);
    await expectRejects(drain(decodeContent(chunked(Buffer.concat([gz, Buffer.from('junk')])), 'gzip', MiB, 'b')), 'E_INVALID_INPUT');
    await expectRejects(drain(decodeContent(chunked(gz), 'zstd', MiB, 'batch b7')), 'E_INVALID_INPUT', /batch b7 is not valid zstd data/);
  });

  test("the source's own error passes through unchanged, and stopping early stops reading the source", async () => {
    const limitError = new AttestryError('E_PAYLOAD_TOO_LARGE', 'request body is over the 1000-byte limit');
    async function* failing(first: Uint8Array): AsyncIterable<Uint8Array> {
      yield first;
      await Promise.resolve();
      throw limitError;
    }
    const gz = gzipSync(randomBytes(100_000));
    for (const [coding, first] of [
      ['gzip', gz.subarray(0, 5000)],
      ['zstd', zstdCompress(randomBytes(1000)).subarray(0, 100)],
      ['identity', gz],
    ] as const) {
      await assert.rejects(drain(decodeContent(failing(first), coding, 10 * MiB, 'b')), (e) => e === limitError);
    }
    let pulled = 0;
    let closed = false;
    async function* endless(): AsyncIterable<Uint8Array> {
      try {
        for (;;) {
          pulled++;
          yield gzipZeros(1);
        }
      } finally {
        closed = true;
      }
    }
    for (const coding of ['gzip', 'identity']) {
      pulled = 0;
      closed = false;
      for await (const piece of decodeContent(endless(), coding, 2 ** 40, 'b')) if (piece.length > 0) break;
      // Read-ahead is the streams' high-water marks (~32 KiB of ~1 KiB chunks), not the endless source.
      assert.ok(pulled < 100, `${coding}: pulled ${pulled} chunks`);
      await new Promise((r) => setImmediate(r));
      assert.ok(closed, `${coding}: the source was closed`);
    }
  });
});
