/** The repo's tiny GGUF test model (src/ai/tiny-model), written once per process and seed into a temp folder. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyModelGguf } from '../../src/ai/tiny-model/model.js';

const written = new Map<number, string>();
let dir: string | undefined;

export function tinyModelPath(seed = 1): string {
  const hit = written.get(seed);
  if (hit !== undefined) return hit;
  dir ??= mkdtempSync(join(tmpdir(), 'attestry-tiny-'));
  const path = join(dir, seed === 1 ? 'tiny.gguf' : `tiny-seed${seed}.gguf`);
  writeFileSync(path, tinyModelGguf(seed));
  written.set(seed, path);
  return path;
}

export const FINDING = {
  id: 'finding-123',
  cve: 'CVE-2024-1234',
  purl: 'pkg:npm/lodash@4.17.20',
  description: 'Prototype pollution in lodash merge lets an attacker change Object.prototype',
} as const;
