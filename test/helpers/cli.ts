/** Runs the compiled `attestry` CLI (dist/src/cli/main.js) in a child process. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPair, privateKeyToPem, publicKeyToPem, type KeyAlgorithm } from '../../src/crypto/keys.js';
import { isRecord } from './model.js';

/** The compiled helper lives in dist/test/helpers/, the CLI in dist/src/cli/. */
export const CLI_PATH = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  /** Extra environment variables (added to PATH plus an isolated HOME / ATTESTRY_HOME, see `cliHome`). */
  env?: Record<string, string>;
  timeoutMs?: number;
}

let isolatedHome: string | undefined;

/**
 * A temp directory used as HOME and ATTESTRY_HOME for every CLI run of this
 * test process, so the CLI never reads or creates keys in the real home
 * (`~/.attestry`). Removed when the process exits.
 */
export function cliHome(): string {
  if (isolatedHome === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'attestry-home-'));
    isolatedHome = dir;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return isolatedHome;
}

/** Spawns `node dist/src/cli/main.js ...args` and resolves with its exit code and output. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const home = cliHome();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: home,
      ATTESTRY_HOME: join(home, '.attestry'),
      ...options.env,
    };
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 30_000,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolvePromise({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** Describes a CLI result for assertion messages. */
export function show(r: CliResult): string {
  return `exit ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

/** Asserts the exit code and returns the result. */
export function expectExit(r: CliResult, code: number): CliResult {
  assert.equal(r.code, code, `expected exit ${code}, got ${show(r)}`);
  return r;
}

/** Parses stdout as one JSON object. */
export function jsonOut(r: CliResult): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(r.stdout);
  } catch (e) {
    assert.fail(`stdout is not JSON (${(e as Error).message}): ${show(r)}`);
  }
  assert.ok(isRecord(v), `stdout JSON is not an object: ${show(r)}`);
  return v;
}

export function getRecord(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = obj[key];
  assert.ok(isRecord(v), `"${key}" is not an object in ${JSON.stringify(obj).slice(0, 400)}`);
  return v;
}

export function getArray(obj: Record<string, unknown>, key: string): unknown[] {
  const v = obj[key];
  assert.ok(Array.isArray(v), `"${key}" is not an array in ${JSON.stringify(obj).slice(0, 400)}`);
  return v;
}

export function getString(obj: Record<string, unknown>, key: string): string {
  const v = obj[key];
  assert.equal(typeof v, 'string', `"${key}" is not a string in ${JSON.stringify(obj).slice(0, 400)}`);
  return v as string;
}

export interface KeyFiles {
  dir: string;
  privatePem: string;
  publicPem: string;
}

/** Writes a fresh key pair as private.pem / public.pem into `dir` (faster than `model keygen`). */
export function writeKeyFiles(dir: string, algorithm: KeyAlgorithm = 'ed25519'): KeyFiles {
  mkdirSync(dir, { recursive: true });
  const pair = generateKeyPair(algorithm);
  const privatePem = join(dir, 'private.pem');
  const publicPem = join(dir, 'public.pem');
  writeFileSync(privatePem, privateKeyToPem(pair.privateKey), { mode: 0o600 });
  writeFileSync(publicPem, publicKeyToPem(pair.publicKey));
  return { dir, privatePem, publicPem };
}
