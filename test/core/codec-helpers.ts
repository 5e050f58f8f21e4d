/**
 * Helpers for the codec tests (zstd, decode-body, ndjson-lines); not a test
 * file itself. Byte streams here are async iterables of chunks, as request
 * bodies are.
 */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';

/** `data` as a stream cut at the given offsets (sorted, deduplicated, clamped); no offsets = one chunk. */
export async function* chunked(data: Uint8Array, cuts: readonly number[] = []): AsyncIterable<Uint8Array> {
  let prev = 0;
  for (const cut of [...new Set(cuts.map((c) => Math.max(0, Math.min(data.length, c))))].sort((a, b) => a - b)) {
    if (cut > prev) yield data.subarray(prev, cut);
    prev = Math.max(prev, cut);
  }
  if (prev < data.length || data.length === 0) yield data.subarray(prev);
}

/** `data` as chunks of `size` bytes. */
export async function* fixedChunks(data: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

/** The same `block` `count` times, without allocating count × block (for bombs). */
export async function* repeated(block: Uint8Array, count: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < count; i++) yield block;
}

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of source) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** Consumes a stream, keeping only its length (what a bounded consumer does); `sample` runs every 16 chunks. */
export async function drain(source: AsyncIterable<Uint8Array>, sample?: () => void): Promise<number> {
  let n = 0;
  let i = 0;
  for await (const c of source) {
    n += c.length;
    if (sample !== undefined && ++i % 16 === 0) sample();
  }
  return n;
}

/**
 * One zstd frame of `blocks` RLE blocks (RFC 8878 §3.1.1), each 4 bytes that
 * decode to 128 KiB of zeros: a 10 MB frame inflates to ~330 GB. The frame
 * header declares no content size, so a decoder cannot refuse it up front
 * and must count what it produces. `windowLog` sets the window descriptor.
 */
export function zstdRleBomb(blocks: number, windowLog = 17): Buffer {
  const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (windowLog - 10) << 3]);
  const block = (last: boolean): number[] => {
    const h = (last ? 1 : 0) | (1 << 1) | (131072 << 3); // Last_Block | Block_Type=RLE | Block_Size
    return [h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff, 0x00];
  };
  const body = Buffer.alloc(blocks * 4);
  const mid = Buffer.from(block(false));
  for (let i = 0; i < blocks - 1; i++) mid.copy(body, i * 4);
  Buffer.from(block(true)).copy(body, (blocks - 1) * 4);
  return Buffer.concat([header, body]);
}

/** One gzip member of `mib` MiB of zeros (~1 KiB per MiB: deflate's limit is ~1:1032). */
export function gzipZeros(mib: number): Buffer {
  return gzipSync(Buffer.alloc(mib * 1024 * 1024), { level: 9 });
}

/**
 * Runs `fn` and returns how much the RSS grew at its peak, in bytes. `fn` is
 * handed the sampler to call from its consuming loop: a stream decoded from
 * memory runs on microtasks only, so a timer would never get to sample.
 */
export async function peakRssGrowth(fn: (sample: () => void) => Promise<void>): Promise<number> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const sample = (): void => {
    peak = Math.max(peak, process.memoryUsage.rss());
  };
  await fn(sample);
  sample();
  return peak - before;
}

export function assertUnder(bytes: number, limit: number, what: string): void {
  assert.ok(bytes < limit, `${what}: RSS grew ${(bytes / 1048576).toFixed(1)} MiB, limit ${(limit / 1048576).toFixed(0)} MiB`);
}
