// `npm run build`, second step: bundles the CLI entry (dist/src/cli/main.js, as tsc wrote it)
// with its pure-JavaScript dependencies into dist/src/cli/main.js plus lazily loaded chunks
// beside it. Why: a command used to spend ~0.3 s of its ~0.45 s loading about 550 separate ES
// modules (kysely alone is 262 files); bundled it starts in about half the time, which users
// feel on every command and `npm test` feels on its ~550 CLI runs. Chunks sit in the same
// folder as main.js so every `new URL('../…', import.meta.url)` resolves as before.
// Native addons, the HTTP server's stack and anything loaded only on demand stay ordinary
// imports from node_modules.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const OUT = 'dist/src/cli';
// Pure JavaScript, loaded by most commands: bundled.
const BUNDLED = new Set([
  'kysely',
  'zod',
  'commander',
  'yaml',
  'ulid',
  'packageurl-js',
  '@noble/curves',
  '@noble/hashes',
  '@sigstore/core',
  '@sigstore/bundle',
  '@sigstore/verify',
  '@sigstore/protobuf-specs',
  'pkijs',
  'asn1js',
  'pvtsutils',
  'pvutils',
  'bytestreamjs',
  '@streamparser/json',
]);

const packageOf = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

for (const f of readdirSync(OUT)) if (/^chunk-.*\.js(\.map)?$/.test(f)) rmSync(join(OUT, f));

await build({
  entryPoints: [join(OUT, 'main.js')],
  outdir: OUT,
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // CommonJS dependencies inside the bundle call require() for Node's built-ins.
  banner: { js: "import { createRequire as __attestryRequire } from 'node:module'; const require = __attestryRequire(import.meta.url);" },
  plugins: [
    {
      name: 'external-unless-bundled',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => {
          if (args.path.startsWith('node:')) return { external: true };
          return BUNDLED.has(packageOf(args.path)) ? undefined : { external: true };
        });
      },
    },
  ],
});
