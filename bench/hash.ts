/**
 * Hashing benchmark (`npm run bench:hash`). Builds big files + small files in
 * a temp dir once and hard-links them into models of 1, 2 and 4 big files
 * (the common safetensors layouts), warms the page cache, then measures for
 * each model, in one run:
 *   - `dd if=FILE of=/dev/null bs=1M`: the page-cache read rate (one process),
 *   - `sha256sum` over the same files (the baseline users compare with),
 *   - a single-thread Node read+sha256 loop (the per-core ceiling) and the same with BLAKE3,
 *   - attestry sign and verify: sha256 files and shards, blake3 files and shards.
 * Each timed row is the best of BENCH_REPEAT runs (sha256sum runs once). It prints one table per
 * model, how many bytes each worker hashed in files mode (the schedule, free
 * of timing noise), and the goals of issues 11 and 12 as met / not met.
 *
 * Environment: BENCH_MODELS ("1,2,4": big files per model), BENCH_BIG_MIB (512),
 * BENCH_SMALL_FILES (100, 4 KiB each), BENCH_SHARD_MIB (128), BENCH_REPEAT (2),
 * BENCH_THREADS (default: one per core), BENCH_RSS (1: peak RSS of the CLI on the largest model).
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createStreamHasher, type HashEngineName } from '../src/models/hashers.js';
import { signModel, verifyModel, walkModel, HashPool, type HashingOptions } from '../src/index.js';

const MiB = 1024 * 1024;
const MODELS = (process.env['BENCH_MODELS'] ?? '1,2,4').split(',').map(Number);
const BIG_MIB = Number(process.env['BENCH_BIG_MIB'] ?? 512);
const SMALL_FILES = Number(process.env['BENCH_SMALL_FILES'] ?? 100);
const SHARD_MIB = Number(process.env['BENCH_SHARD_MIB'] ?? 128);
const REPEAT = Math.max(1, Number(process.env['BENCH_REPEAT'] ?? 2));
const THREADS = process.env['BENCH_THREADS'] ? Number(process.env['BENCH_THREADS']) : undefined;
const cores = THREADS ?? availableParallelism();

/** Writes the largest model's files once; smaller models are hard links (same page cache). */
function buildFiles(dir: string, bigFiles: number): void {
  const chunk = randomBytes(64 * MiB);
  for (let i = 0; i < bigFiles; i++) {
    const fd = openSync(join(dir, bigName(i, bigFiles)), 'w');
    for (let written = 0; written < BIG_MIB * MiB; written += chunk.length) {
      chunk.writeUInt32LE(i * 65536 + written / chunk.length, 0); // every chunk differs
      writeSync(fd, chunk, 0, Math.min(chunk.length, BIG_MIB * MiB - written));
    }
    closeSync(fd);
  }
  mkdirSync(join(dir, 'tokenizer'));
  for (let i = 0; i < SMALL_FILES; i++) writeFileSync(join(dir, 'tokenizer', `part-${i}.json`), randomBytes(4096));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ hidden_size: 4096 }));
}

const bigName = (i: number, of: number) => `model-${String(i + 1).padStart(5, '0')}-of-${String(of).padStart(5, '0')}.safetensors`;

function linkModel(src: string, dst: string, bigFiles: number, of: number): void {
  mkdirSync(join(dst, 'tokenizer'), { recursive: true });
  for (let i = 0; i < bigFiles; i++) linkSync(join(src, bigName(i, of)), join(dst, bigName(i, bigFiles)));
  for (let i = 0; i < SMALL_FILES; i++) linkSync(join(src, 'tokenizer', `part-${i}.json`), join(dst, 'tokenizer', `part-${i}.json`));
  linkSync(join(src, 'config.json'), join(dst, 'config.json'));
}

function singleThreadHash(paths: string[], engine: HashEngineName): void {
  const buf = Buffer.allocUnsafe(4 * MiB);
  for (const p of paths) {
    const h = createStreamHasher(engine);
    const fd = openSync(p, 'r');
    let n: number;
    while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) h.update(n === buf.length ? buf : buf.subarray(0, n));
    closeSync(fd);
    h.digestHex();
  }
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr?.toString() ?? r.error?.message}`);
}

async function best(fn: () => unknown): Promise<number> {
  let ms = Number.POSITIVE_INFINITY;
  for (let i = 0; i < REPEAT; i++) {
    const t = performance.now();
    await fn();
    ms = Math.min(ms, performance.now() - t);
  }
  return ms;
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

interface ModelResult {
  big: number;
  rows: Map<string, number>;
  /** Bytes each worker hashed in files mode (from the pool's dispatch hook): the schedule, free of timing noise. */
  split: number[];
}

async function benchModel(
  model: string,
  bigFiles: number,
  pool: HashPool,
  keys: { privateKey: KeyObject; publicKey: KeyObject },
  root: string,
): Promise<ModelResult> {
  const files = walkModel(model, { ignore: new Set(), allowSymlinks: false }).files;
  const paths = files.map((f) => f.path);
  const bigPaths = files.filter((f) => f.size >= MiB).map((f) => f.path);
  const bytes = files.reduce((n, f) => n + f.size, 0);
  const bigBytes = files.filter((f) => f.size >= MiB).reduce((n, f) => n + f.size, 0);
  singleThreadHash(paths, 'sha256'); // warm the page cache so every contender reads from memory

  const rows = new Map<string, number>();
  rows.set(
    'dd bs=1M → /dev/null (page-cache read, 1 process)',
    gbps(bigBytes, await best(() => bigPaths.forEach((p) => run('dd', [`if=${p}`, 'of=/dev/null', 'bs=1M'])))),
  );
  // Once: coreutils sha256sum is the slowest row by far and only a baseline.
  const sumStart = performance.now();
  run('sha256sum', paths);
  rows.set('sha256sum (coreutils)', gbps(bytes, performance.now() - sumStart));
  rows.set('node single-thread read+sha256', gbps(bytes, await best(() => singleThreadHash(paths, 'sha256'))));
  rows.set('node single-thread read+blake3', gbps(bytes, await best(() => singleThreadHash(paths, 'blake3'))));

  const sig = join(root, `model-${bigFiles}.sig`);
  const contenders: [string, HashingOptions][] = [
    ['sha256 files', {}],
    [`sha256 shards ${SHARD_MIB} MiB`, { method: 'shards', shardSize: SHARD_MIB * MiB }],
    ['blake3 files', { hashType: 'blake3' }],
    [`blake3 shards ${SHARD_MIB} MiB`, { hashType: 'blake3', method: 'shards', shardSize: SHARD_MIB * MiB }],
  ];
  for (const [label, hashing] of contenders) {
    const signMs = await best(() =>
      signModel({ modelPath: model, privateKey: keys.privateKey, signerId: 'bench', output: sig, pool, ...hashing }),
    );
    rows.set(`attestry sign (${label})`, gbps(bytes, signMs));
    const verifyMs = await best(async () => {
      const r = await verifyModel({ modelPath: model, signaturePath: sig, publicKey: keys.publicKey, pool });
      if (!r.ok) throw new Error(`verify failed: ${JSON.stringify(r.problems)}`);
    });
    rows.set(`attestry verify (${label})`, gbps(bytes, verifyMs));
  }
  const split: number[] = new Array<number>(pool.threads).fill(0);
  await pool.hash(
    files.map((f) => ({ path: f.path, start: 0, end: f.size })),
    { onDispatch: (w, indexes) => indexes.forEach((i) => (split[w]! += files[i]!.size)) },
  );
  return { big: bigFiles, rows, split };
}

function printModel(r: ModelResult, files: number, bytes: number): void {
  const g = (k: string) => r.rows.get(k)!;
  const sum = g('sha256sum (coreutils)');
  const single = g('node single-thread read+sha256');
  const dd = g('dd bs=1M → /dev/null (page-cache read, 1 process)');
  const shaFiles = g('attestry sign (sha256 files)');
  console.log(`\n### ${r.big} × ${BIG_MIB} MiB + ${SMALL_FILES} × 4 KiB (${files} files, ${(bytes / 2 ** 30).toFixed(2)} GiB)\n`);
  console.log(`| contender | GB/s | × sha256sum | % of ${cores} × single-thread sha256 | × sha256 files | % of dd |`);
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [name, rate] of r.rows) {
    const ofCeiling = name.includes('sha256') && name.startsWith('attestry') ? `${((rate / (single * cores)) * 100).toFixed(0)}%` : '';
    const vsFiles = name.includes('blake3') && name.startsWith('attestry') ? (rate / shaFiles).toFixed(2) : '';
    console.log(
      `| ${name} | ${rate.toFixed(2)} | ${(rate / sum).toFixed(2)} | ${ofCeiling} | ${vsFiles} | ${((rate / dd) * 100).toFixed(0)}% |`,
    );
  }
  console.log(`\nfiles-mode work per worker: ${r.split.map((b) => `${(b / MiB).toFixed(0)} MiB`).join(' / ')}`);
}

function goals(results: ModelResult[]): void {
  console.log('\n### Goals\n');
  const line = (ok: boolean, text: string) => console.log(`- ${ok ? 'met' : 'NOT met'}: ${text}`);
  for (const r of results) {
    const g = (k: string) => r.rows.get(k)!;
    const ceiling = g('node single-thread read+sha256') * cores;
    const pct = (k: string) => (g(k) / ceiling) * 100;
    if (r.big >= 2) {
      for (const k of ['attestry sign (sha256 files)', 'attestry verify (sha256 files)']) {
        line(pct(k) >= 90, `${r.big}-file model, ${k} ≥ 90% of ${cores} × single-thread: ${pct(k).toFixed(0)}%`);
      }
    }
    for (const k of [`attestry sign (sha256 shards ${SHARD_MIB} MiB)`, `attestry verify (sha256 shards ${SHARD_MIB} MiB)`]) {
      line(pct(k) >= 90, `${r.big}-file model, ${k} ≥ 90% of ${cores} × single-thread: ${pct(k).toFixed(0)}%`);
    }
    const b3 = g('attestry sign (blake3 files)') / g('attestry sign (sha256 files)');
    line(
      b3 >= 2,
      `${r.big}-file model, blake3 files ≥ 2 × sha256 files: ${b3.toFixed(2)} ×, ` +
        `${((g('attestry sign (blake3 files)') / g('dd bs=1M → /dev/null (page-cache read, 1 process)')) * 100).toFixed(0)}% of dd`,
    );
  }
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'attestry-bench-'));
  const maxBig = Math.max(...MODELS);
  const src = join(root, 'files');
  mkdirSync(src);
  try {
    const started = performance.now();
    process.stderr.write(
      `building ${maxBig} × ${BIG_MIB} MiB + ${SMALL_FILES} small files in ${src}; models of ${MODELS.join(', ')} big files ...\n`,
    );
    buildFiles(src, maxBig);
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pool = new HashPool(THREADS === undefined ? {} : { threads: THREADS });
    const results: ModelResult[] = [];
    const load = () =>
      loadavg()
        .map((l) => l.toFixed(1))
        .join(' ');
    console.log(
      `# bench:hash — ${cores} hashing threads, ${availableParallelism()} cores, Node ${process.version}, page cache warm, best of ${REPEAT}; load average ${load()} (other work on the machine skews the parallel rows)`,
    );
    for (const big of MODELS) {
      const model = join(root, `model-${big}`);
      linkModel(src, model, big, maxBig);
      process.stderr.write(`model of ${big} big file(s) ...\n`);
      const r = await benchModel(model, big, pool, { privateKey, publicKey }, root);
      results.push(r);
      const files = walkModel(model, { ignore: new Set(), allowSymlinks: false }).files;
      printModel(
        r,
        files.length,
        files.reduce((n, f) => n + f.size, 0),
      );
    }
    await pool.close();
    goals(results);
    if (process.env['BENCH_RSS'] !== '0') {
      const model = join(root, `model-${maxBig}`);
      const keyPath = join(root, 'private.pem');
      const pubPath = join(root, 'public.pem');
      writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }));
      writeFileSync(pubPath, publicKey.export({ type: 'spki', format: 'pem' }));
      const sig = join(root, 'cli.sig');
      console.log('');
      for (const [label, args] of [
        ['sign', ['model', 'sign', '--model-dir', model, '--key', keyPath, '--signer-id', 'bench', '--output', sig, '--force', '--json']],
        ['verify', ['model', 'verify', '--model-dir', model, '--key', pubPath, '--signature', sig, '--json']],
      ] as const) {
        console.log(
          `peak RSS of \`attestry model ${label}\` on the ${maxBig}-file model (all threads): ${cliPeakRssMiB([...args]).toFixed(0)} MiB`,
        );
      }
    }
    console.log(`\nbench total ${((performance.now() - started) / 1000).toFixed(0)} s; load average at the end ${load()}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
