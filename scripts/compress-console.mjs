// After `vite build`: brotli and gzip copies of the console's text files beside them
// (dist/console/**/*.{js,css,html}.{br,gz}), which @fastify/static sends to browsers that accept
// them (`preCompressed`, src/server/routes/console.ts): compressed once at build time at the
// highest levels, never per request.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('../dist/console/', import.meta.url));
const walk = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
let raw = 0;
let br = 0;
for (const file of walk(root).filter((f) => /\.(js|css|html|svg)$/.test(f))) {
  const bytes = readFileSync(file);
  const brotli = brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  });
  const gzip = gzipSync(bytes, { level: 9 });
  raw += bytes.length;
  br += Math.min(bytes.length, brotli.length);
  // Only where it is smaller: @fastify/static falls back to the file itself.
  if (brotli.length < bytes.length) writeFileSync(`${file}.br`, brotli);
  if (gzip.length < bytes.length) writeFileSync(`${file}.gz`, gzip);
}
process.stdout.write(`console: ${(raw / 1024).toFixed(1)} KiB built, ${(br / 1024).toFixed(1)} KiB with brotli (dist/console)\n`);
