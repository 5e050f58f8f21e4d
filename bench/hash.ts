/**
 * Hashing benchmark (`npm run bench:hash`). Builds a model directory in a temp
 * dir (default 4 × 1 GiB + 1,000 small files), warms the page cache, then
 * measures in one run:
 *   - `sha256sum` over the same files (the baseline users compare with),
 *   - a single-thread Node read+hash loop (the per-core ceiling),
 *   - attestry sign (files and shards methods) and verify.
 * Environment: BENCH_BIG_FILES (4), BENCH_BIG_MIB (1024), BENCH_SMALL_FILES (1000).
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync, writeSync, mkdirSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { signModel, verifyModel, walkModel, HashPool } from '../src/index.js';

const BIG_FILES = Number(process.env['BENCH_BIG_FILES'] ?? 4);
const BIG_MIB = Number(process.env['BENCH_BIG_MIB'] ?? 1024);
const SMALL_FILES = Number(process.env['BENCH_SMALL_FILES'] ?? 1000);
const cores = availableParallelism();

function buildModel(dir: string): void {
  const chunk = randomBytes(64 * 1024 * 1024);
  for (let i = 0; i < BIG_FILES; i++) {
    const fd = openSync(join(dir, `model-0000${i + 1}-of-0000${BIG_FILES}.safetensors`), 'w');
    for (let written = 0; written < BIG_MIB * 1024 * 1024; written += chunk.length) {
      chunk.writeUInt32LE(i * 65536 + written / chunk.length, 0); // every chunk differs
      writeSync(fd, chunk, 0, Math.min(chunk.length, BIG_MIB * 1024 * 1024 - written));
    }
    closeSync(fd);
  }
  mkdirSync(join(dir, 'tokenizer'));
  for (let i = 0; i < SMALL_FILES; i++) writeFileSync(join(dir, 'tokenizer', `part-${i}.json`), randomBytes(4096));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ hidden_size: 4096 }));
}

function singleThreadHash(paths: string[]): void {
  const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  for (const p of paths) {
    const h = createHash('sha256');
    const fd = openSync(p, 'r');
    let n: number;
    while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) h.update(n === buf.length ? buf : buf.subarray(0, n));
    closeSync(fd);
    h.digest();
  }
}

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const gbps = (bytes: number, ms: number) => bytes / 1e9 / (ms / 1000);

/** Runs the real CLI in a child process and returns its peak RSS. */
function cliPeakRssMiB(args: string[]): number {
  const cli = new URL('../src/cli/main.js', import.meta.url).pathname;
  const hook = new URL('./rss-hook.js', import.meta.url).pathname;
  const r = spawnSync(process.execPath, ['--import', hook, cli, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`attestry ${args.join(' ')} failed: ${r.stderr}`);
  const m = /maxrss_kib=(\d+)/.exec(r.stderr);
  if (!m) throw new Error('no RSS report');
  return Number(m[1]) / 1024;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'attestry-bench-'));
  const model = join(root, 'model');
  mkdirSync(model);
  try {
    process.stderr.write(`building ${BIG_FILES} × ${BIG_MIB} MiB + ${SMALL_FILES} small files in ${model} ...\n`);
    buildModel(model);
    const files = walkModel(model, { ignore: new Set(), allowSymlinks: false }).files;
    const paths = files.map((f) => f.path);
    const bytes = files.reduce((n, f) => n + f.size, 0);
    singleThreadHash(paths); // warm the page cache so every contender reads from memory

    const sha256sumMs = time(() => {
      const r = spawnSync('sha256sum', paths, { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 26 });
      if (r.status !== 0) throw new Error('sha256sum failed');
    });
    const singleMs = time(() => singleThreadHash(paths));

    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const keyPath = join(root, 'private.pem');
    const pubPath = join(root, 'public.pem');
    writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(pubPath, publicKey.export({ type: 'spki', format: 'pem' }));
    const pool = new HashPool();
    const sig = join(root, 'model.sig');
    await signModel({ modelPath: model, privateKey, signerId: 'bench', output: sig, pool }); // warm workers
    const signMs = await timeAsync(() => signModel({ modelPath: model, privateKey, signerId: 'bench', output: sig, pool }));
    const verifyMs = await timeAsync(async () => {
      const r = await verifyModel({ modelPath: model, signaturePath: sig, publicKey, pool });
      if (!r.ok) throw new Error('verify failed');
    });
    const shardSig = join(root, 'model-shards.sig');
    const shardMs = await timeAsync(() =>
      signModel({ modelPath: model, privateKey, signerId: 'bench', output: shardSig, pool, method: 'shards', shardSize: 256 * 1024 * 1024 }),
    );
    const shardVerifyMs = await timeAsync(async () => {
      const r = await verifyModel({ modelPath: model, signaturePath: shardSig, publicKey, pool });
      if (!r.ok) throw new Error('verify failed');
    });
    await pool.close();

    const single = gbps(bytes, singleMs);
    const ceiling = single * cores;
    const rows: [string, number][] = [
      ['sha256sum (coreutils)', gbps(bytes, sha256sumMs)],
      ['node single-thread read+sha256', single],
      ['attestry sign (files)', gbps(bytes, signMs)],
      ['attestry verify (files)', gbps(bytes, verifyMs)],
      ['attestry sign (shards 256 MiB)', gbps(bytes, shardMs)],
      ['attestry verify (shards 256 MiB)', gbps(bytes, shardVerifyMs)],
    ];
    const base = rows[0]![1];
    console.log(`\nmodel: ${files.length} files, ${(bytes / 2 ** 30).toFixed(2)} GiB, page cache warm, ${cores} cores`);
    console.log(`| contender | GB/s | × sha256sum | % of ${cores} × single-thread |`);
    console.log('|---|---:|---:|---:|');
    for (const [name, rate] of rows) {
      console.log(`| ${name} | ${rate.toFixed(2)} | ${(rate / base).toFixed(2)} | ${((rate / ceiling) * 100).toFixed(0)}% |`);
    }
    console.log(`\nverify/sign speed ratio (files): ${(signMs / verifyMs).toFixed(2)}`);
    for (const [label, args] of [
      ['sign', ['model', 'sign', '--model-dir', model, '--key', keyPath, '--signer-id', 'bench', '--output', sig, '--force', '--json']],
      ['verify', ['model', 'verify', '--model-dir', model, '--key', pubPath, '--signature', sig, '--json']],
    ] as const) {
      console.log(`peak RSS of \`attestry model ${label}\` (all threads): ${cliPeakRssMiB([...args]).toFixed(0)} MiB`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
