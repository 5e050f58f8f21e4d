/**
 * The model_signing interop cases of sigstore/model-transparency
 * `scripts/tests` (read in place from ../shared/fixtures/model-transparency):
 * one directory per released version and method (`v<version>-<method>`), each
 * verified by `test-verify-v<version>-<method>.sh`. The options of each case
 * (signature, key or CA chain, identity and issuer, ignore paths, model path)
 * are read from the first `python -m model_signing verify …` command of its
 * script, so a new release directory with its script is picked up as it is.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { modelTransparencyPath } from '../sigstore/external.js';

export type InteropMethod = 'elliptic-key' | 'sigstore' | 'certificate';

export interface InteropCase {
  /** e.g. `v1.0.1-sigstore`. */
  name: string;
  version: string;
  method: InteropMethod;
  /** Absolute paths inside the fixture folder. */
  modelPath: string;
  signaturePath: string;
  publicKeyPath?: string;
  certificateChainPath?: string;
  identity?: string;
  identityProvider?: string;
  /** Absolute paths given to `--ignore-paths`. */
  ignorePaths: string[];
}

const CASE_DIR = /^v(\d+\.\d+\.\d+)-(elliptic-key|sigstore|certificate)$/;

/** Shell words of the first `model_signing verify` command in a script (joined over `\` continuations). */
function verifyCommand(script: string, path: string): string[] {
  const lines = script.split('\n');
  const start = lines.findIndex((l) => /python -m model_signing\b/.test(l));
  assert.ok(start >= 0, `${path}: no "python -m model_signing" command`);
  let text = '';
  for (let i = start; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const continued = line.endsWith('\\');
    text += ` ${continued ? line.slice(0, -1) : line}`;
    if (!continued) break;
  }
  // `if ! python -m model_signing … ; then` (the scripts quote nothing).
  const words = text
    .replace(/;\s*then\s*$/, '')
    .trim()
    .split(/\s+/);
  const at = words.indexOf('model_signing');
  assert.equal(words[at + 1], 'verify', `${path}: expected "model_signing verify"`);
  return words.slice(at + 2);
}

function parseCase(root: string, name: string, version: string, method: InteropMethod): InteropCase {
  const scriptPath = join(root, `test-verify-${name}.sh`);
  assert.ok(existsSync(scriptPath), `${name}: no ${scriptPath} says how to verify it`);
  const words = verifyCommand(readFileSync(scriptPath, 'utf8'), scriptPath);
  const expectedSub = method === 'elliptic-key' ? 'key' : method;
  assert.equal(words[0], expectedSub, `${scriptPath}: "verify ${words[0]}" for a ${method} case`);
  const options = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith('--')) {
      const value = words[++i];
      assert.ok(value !== undefined, `${scriptPath}: ${w} has no value`);
      options.set(w, [...(options.get(w) ?? []), value]);
    } else {
      positional.push(w);
    }
  }
  assert.equal(positional.length, 1, `${scriptPath}: expected one model path, got ${positional.join(' ')}`);
  const abs = (p: string): string => join(root, p);
  const one = (flag: string): string | undefined => {
    const v = options.get(flag);
    assert.ok(v === undefined || v.length === 1, `${scriptPath}: ${flag} given twice`);
    return v?.[0];
  };
  const known = new Set(['--signature', '--public_key', '--certificate_chain', '--identity', '--identity_provider', '--ignore-paths']);
  for (const flag of options.keys())
    assert.ok(known.has(flag), `${scriptPath}: option ${flag} is not understood by this test; extend model-signing-cases.ts`);
  const signature = one('--signature');
  assert.ok(signature !== undefined, `${scriptPath}: no --signature`);
  const c: InteropCase = {
    name,
    version,
    method,
    modelPath: abs(positional[0]!),
    signaturePath: abs(signature),
    ignorePaths: (options.get('--ignore-paths') ?? []).map(abs),
  };
  const key = one('--public_key');
  const chain = one('--certificate_chain');
  const identity = one('--identity');
  const provider = one('--identity_provider');
  if (key !== undefined) c.publicKeyPath = abs(key);
  if (chain !== undefined) c.certificateChainPath = abs(chain);
  if (identity !== undefined) c.identity = identity;
  if (provider !== undefined) c.identityProvider = provider;
  return c;
}

/** Every `v*-<method>` directory of the fixture with its verify script's options, oldest version first. */
export function interopCases(): InteropCase[] {
  const root = modelTransparencyPath();
  const cases: InteropCase[] = [];
  for (const name of readdirSync(root)) {
    const m = CASE_DIR.exec(name);
    if (!m || !statSync(join(root, name)).isDirectory()) continue;
    cases.push(parseCase(root, name, m[1]!, m[2] as InteropMethod));
  }
  const order = (v: string): number[] => v.split('.').map(Number);
  return cases.sort((a, b) => {
    const [x, y] = [order(a.version), order(b.version)];
    for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return a.method < b.method ? -1 : a.method > b.method ? 1 : 0;
  });
}
