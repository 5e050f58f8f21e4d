#!/usr/bin/env node
/**
 * `npm run --silent tiny-model -- OUT.gguf [--seed N]`: writes the tiny test
 * model (src/ai/tiny-model/model.ts). The same seed writes the same bytes.
 */
import { resolve } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { sha256Digest } from '../../core/digest.js';
import { tinyModelGguf } from './model.js';

const USAGE = 'usage: npm run --silent tiny-model -- OUT.gguf [--seed N]   (N: integer 0..4294967295, default 1)';

function main(argv: readonly string[]): number {
  let out: string | undefined;
  let seed = 1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--seed') {
      const v = argv[++i];
      if (v === undefined || !/^\d+$/.test(v) || Number(v) > 0xffffffff) {
        process.stderr.write(`--seed needs an integer 0..4294967295\n${USAGE}\n`);
        return 1;
      }
      seed = Number(v);
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    } else if (out === undefined && !a.startsWith('-')) out = a;
    else {
      process.stderr.write(`unexpected argument ${a}\n${USAGE}\n`);
      return 1;
    }
  }
  if (out === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 1;
  }
  // npm runs scripts in the package root; a relative OUT means where `npm run` was typed (INIT_CWD).
  out = resolve(process.env['INIT_CWD'] ?? '.', out);
  const bytes = tinyModelGguf(seed);
  writeFileAtomic(out, bytes);
  process.stderr.write(`wrote ${out}: ${bytes.length} bytes, ${sha256Digest(bytes)} (seed ${seed})\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
