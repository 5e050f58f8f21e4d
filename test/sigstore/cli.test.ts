/**
 * `attestry verify-bundle` and `attestry trust` end to end: exit codes (0
 * verified, 2 a named check failed, 1 usage or load error), --json output,
 * clear messages and never a stack trace on bad input. Real bundles come from
 * sigstore-conformance (see external.ts); the rest needs no external data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publicGoodSeed } from '../../src/sigstore/trust-root.js';
import { expectExit, getRecord, getString, jsonOut, runCli, show, type CliResult } from '../helpers/cli.js';
import { CONFORMANCE_IDENTITY, CONFORMANCE_ISSUER, conformancePath, conformanceSkip } from './external.js';

const skip = conformanceSkip();
const KEYLESS = ['--identity', CONFORMANCE_IDENTITY, '--issuer', CONFORMANCE_ISSUER];

function noStack(r: CliResult): CliResult {
  assert.doesNotMatch(r.stderr + r.stdout, /\n\s+at .+:\d+:\d+/, `stack trace printed: ${show(r)}`);
  return r;
}

function failedCheck(r: CliResult): string {
  const err = jsonOut(r);
  assert.equal(err['ok'], false);
  assert.equal(getString(err, 'code'), 'E_SIGNATURE_INVALID');
  return getString(getRecord(err, 'details'), 'check');
}

test('verify-bundle on real bundles', { skip }, async (t) => {
  const suite = conformancePath();
  const art = join(suite, 'a.txt');
  const digest = `sha256:${createHash('sha256').update(readFileSync(art)).digest('hex')}`;
  const bundle = (name: string) => join(suite, name, 'bundle.sigstore.json');

  await t.test('keyless message signature, by file and by digest', async () => {
    const r = jsonOut(
      expectExit(await runCli(['verify-bundle', '--bundle', bundle('happy-path-v0.3'), '--artifact', art, ...KEYLESS, '--json']), 0),
    );
    assert.equal(r['ok'], true);
    assert.equal(getString(getRecord(r, 'signer'), 'identity'), CONFORMANCE_IDENTITY);
    assert.match(getString(r, 'trustedRoot'), /^embedded:/);
    expectExit(await runCli(['verify-bundle', '--bundle', bundle('happy-path-v0.1'), '--digest', digest, ...KEYLESS]), 0);
  });
  await t.test('key-based bundle', async () => {
    const r = expectExit(
      await runCli([
        'verify-bundle',
        '--bundle',
        bundle('managed-key-happy-path'),
        '--artifact',
        art,
        '--key',
        join(suite, 'managed-key-happy-path/key.pub'),
      ]),
      0,
    );
    assert.match(r.stdout, /Bundle: VERIFIED/);
  });
  await t.test('Rekor v2 DSSE bundle with a private trusted root and an identity regexp', async () => {
    const c = join(suite, 'rekor2-dsse-happy-path');
    const args = [
      'verify-bundle',
      '--bundle',
      join(c, 'bundle.sigstore.json'),
      '--trusted-root',
      join(c, 'trusted_root.json'),
      '--identity-regexp',
      '^https://github\\.com/sigstore-conformance/',
      '--issuer',
      CONFORMANCE_ISSUER,
      '--json',
    ];
    expectExit(await runCli([...args, '--artifact', art]), 0);
    // For DSSE the artifact must be an in-toto subject.
    assert.equal(
      failedCheck(expectExit(await runCli([...args, '--artifact', join(suite, 'rekor2-dsse-happy-path/README')]), 2)),
      'subject-digest',
    );
  });
  await t.test('failures exit 2 and name the check', async () => {
    assert.equal(
      failedCheck(
        expectExit(
          await runCli([
            'verify-bundle',
            '--bundle',
            bundle('happy-path-v0.3'),
            '--artifact',
            art,
            '--identity',
            `${CONFORMANCE_IDENTITY}x`,
            '--issuer',
            CONFORMANCE_ISSUER,
            '--json',
          ]),
          2,
        ),
      ),
      'identity',
    );
    assert.equal(
      failedCheck(
        expectExit(
          await runCli([
            'verify-bundle',
            '--bundle',
            bundle('happy-path-v0.3'),
            '--artifact',
            art,
            '--identity',
            CONFORMANCE_IDENTITY,
            '--issuer',
            'https://accounts.google.com',
            '--json',
          ]),
          2,
        ),
      ),
      'issuer',
    );
    assert.equal(
      failedCheck(
        expectExit(
          await runCli(['verify-bundle', '--bundle', bundle('checkpoint-wrong-roothash_fail'), '--artifact', art, ...KEYLESS, '--json']),
          2,
        ),
      ),
      'tlog-inclusion-proof',
    );
    const human = noStack(
      expectExit(
        await runCli([
          'verify-bundle',
          '--bundle',
          bundle('bundle-with-root-cert_fail'),
          '--artifact',
          join(suite, 'bundle-with-root-cert_fail/artifact'),
          ...KEYLESS,
        ]),
        2,
      ),
    );
    assert.match(human.stderr, /verification failed \(certificate-chain\)/);
  });
  await t.test('bad bundles exit 1 with a clear message', async () => {
    const malformed = noStack(
      expectExit(await runCli(['verify-bundle', '--bundle', bundle('bundle-malformed-json_fail'), '--artifact', art, ...KEYLESS]), 1),
    );
    assert.match(malformed.stderr, /is not valid JSON/);
    const unknown = noStack(
      expectExit(await runCli(['verify-bundle', '--bundle', bundle('bundle-unknown-version_fail'), '--artifact', art, ...KEYLESS]), 1),
    );
    assert.match(unknown.stderr, /unknown media type/);
    const tmp = mkdtempSync(join(tmpdir(), 'attestry-trunc-'));
    try {
      const text = readFileSync(bundle('happy-path-v0.3'), 'utf8');
      for (const cut of [1, Math.floor(text.length / 2), text.length - 2]) {
        const p = join(tmp, `cut-${cut}.json`);
        writeFileSync(p, text.slice(0, cut));
        const r = noStack(expectExit(await runCli(['verify-bundle', '--bundle', p, '--artifact', art, ...KEYLESS]), 1));
        assert.match(r.stderr, /not valid JSON/);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

test('verify-bundle usage and load errors (no external data)', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'attestry-vb-'));
  try {
    const art = join(tmp, 'a.txt');
    writeFileSync(art, 'x');
    const huge = join(tmp, 'huge.json');
    const fd = openSync(huge, 'w');
    ftruncateSync(fd, 65 * 1024 * 1024); // sparse: rejected by size before reading
    closeSync(fd);
    const r = noStack(expectExit(await runCli(['verify-bundle', '--bundle', huge, '--artifact', art, ...KEYLESS]), 1));
    assert.match(r.stderr, /over the \d+-byte limit/);
    assert.match(
      noStack(expectExit(await runCli(['verify-bundle', '--bundle', huge, ...KEYLESS]), 1)).stderr,
      /--artifact FILE or --digest/,
    );
    assert.match(
      noStack(expectExit(await runCli(['verify-bundle', '--bundle', huge, '--artifact', art, '--issuer', CONFORMANCE_ISSUER]), 1)).stderr,
      /exactly one of --key/,
    );
    assert.match(
      noStack(expectExit(await runCli(['verify-bundle', '--bundle', huge, '--digest', 'sha256:12', ...KEYLESS]), 1)).stderr,
      /--digest must be sha256/,
    );
    assert.match(
      noStack(expectExit(await runCli(['verify-bundle', '--bundle', join(tmp, 'missing.json'), '--artifact', art, ...KEYLESS]), 1)).stderr,
      /no such file/,
    );
    writeFileSync(join(tmp, 'root.json'), '{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[{}]}');
    const badRoot = noStack(
      expectExit(
        await runCli(['verify-bundle', '--bundle', huge, '--artifact', art, ...KEYLESS, '--trusted-root', join(tmp, 'root.json')]),
        1,
      ),
    );
    assert.match(badRoot.stderr, /invalid trusted root/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('trust show uses the embedded root; trust refresh without a reachable TUF repository fails clearly', async () => {
  const shown = jsonOut(expectExit(await runCli(['trust', 'show', '--json']), 0));
  assert.match(getString(shown, 'source'), /^embedded:@sigstore\/tuf@/);
  const tmp = mkdtempSync(join(tmpdir(), 'attestry-tuf-'));
  try {
    const rootPath = join(tmp, 'root.json');
    writeFileSync(rootPath, publicGoodSeed().rootJson);
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    const r = noStack(
      expectExit(
        await runCli(
          [
            'trust',
            'refresh',
            '--mirror',
            'http://127.0.0.1:9',
            '--initial-root',
            rootPath,
            '--dir',
            join(tmp, 'sig'),
            '--timeout',
            '2000',
            '--json',
          ],
          { timeoutMs: 60_000 },
        ),
        1,
      ),
    );
    const err = jsonOut(r);
    assert.equal(getString(err, 'code'), 'E_UNAVAILABLE');
    assert.match(getString(err, 'message'), /cannot refresh the trusted root from http:\/\/127\.0\.0\.1:9/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
