/**
 * Offline re-derivation of reachability verdicts with real crypto
 * (reach-verify-fixture.ts: ECDSA service key, Ed25519 log key, a real log
 * with inclusion proofs). A complete export verifies; then one thing at a
 * time is changed — a byte of a cited fact blob, of the callgraph, the
 * predicate re-signed by another key or by the right key with a wrong state,
 * a batch left out — and the check that reads it fails, naming it.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { batchDir, factsPath, readVerdictExportDir, VERDICT_EXPORT_LIMITS, VERDICT_FILES } from '../../src/signals/reach-export.js';
import type { ReachabilityPredicate } from '../../src/signals/reach-types.js';
import { verifyVerdictExport, type VerdictCheckName, type VerdictVerifyReport } from '../../src/signals/reach-verify.js';
import { jsonOut, runCli, show } from '../helpers/cli.js';
import { createSigner } from '../../src/crypto/signer.js';
import { publicKeyToPem } from '../../src/crypto/keys.js';
import {
  BATCHES,
  buildVerdictExport,
  forger,
  forgerKeys,
  logKey,
  logVkey,
  serveExport,
  servicePublicKey,
  signPredicate,
  type Fixture,
} from './reach-verify-fixture.js';

let root: string;
let good: string;
let fixture: Fixture;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'attestry-reach-verify-'));
  good = join(root, 'good');
  mkdirSync(good);
  fixture = await buildVerdictExport(good);
});
after(() => rmSync(root, { recursive: true, force: true }));

let copies = 0;
function copy(): string {
  const dir = join(root, `c${++copies}`);
  cpSync(good, dir, { recursive: true });
  return dir;
}

async function verify(dir: string, verdictFile?: string, key = logKey): Promise<VerdictVerifyReport> {
  return verifyVerdictExport(await readVerdictExportDir(dir, verdictFile), { logKey: key });
}

function expectFailed(r: VerdictVerifyReport, check: VerdictCheckName, code: string, message?: RegExp): void {
  assert.equal(r.ok, false, JSON.stringify(r, null, 2));
  assert.equal(r.failure?.check, check, JSON.stringify(r.checks, null, 2));
  assert.equal(r.failure?.code, code, r.failure?.message);
  if (message !== undefined) assert.match(r.failure.message, message);
}

/** The export with its verdict replaced by `predicate` edited and re-signed (its own log bundle then no longer matches, so it is dropped). */
function resigned(edit: (p: ReachabilityPredicate) => ReachabilityPredicate, by = undefined as typeof forger | undefined): string {
  const dir = copy();
  writeFileSync(join(dir, VERDICT_FILES.verdict), signPredicate(edit(structuredClone(fixture.predicate)), by));
  rmSync(join(dir, VERDICT_FILES.verdictBundle));
  return dir;
}

describe('verify-verdict offline', () => {
  test('a complete export verifies: every check passes and the state is re-derived', async () => {
    const r = await verify(good);
    assert.equal(r.ok, true, JSON.stringify(r, null, 2));
    assert.deepEqual(
      r.checks.map((c) => [c.name, c.status]),
      [
        ['verdict-signature', 'passed'],
        ['verdict-log-inclusion', 'passed'],
        ['callgraph-digest', 'passed'],
        ['manifest', 'passed'],
        ['static-evidence', 'passed'],
        ['batch-provenance', 'passed'],
        ['batch-attestation', 'passed'],
        ['runtime-evidence', 'passed'],
        ['state', 'passed'],
      ],
    );
    assert.equal(r.state, 'ConfirmedReachable');
    assert.equal(r.derivedState, 'ConfirmedReachable');
    assert.equal(r.symbol, 'lib.Parser.vuln');
    assert.equal(r.batchCount, 2);
    assert.match(r.checks.find((c) => c.name === 'static-evidence')!.message, /app\.Main\.main → lib\.Parser\.parse → lib\.Parser\.vuln/);
    assert.match(r.checks.find((c) => c.name === 'runtime-evidence')!.message, /observed: 5 hits/);
  });

  test('a verdict on a symbol only behind a dynamic edge, never seen, re-derives too (uncertain + unobserved)', async () => {
    const dir = join(root, 'plugin');
    mkdirSync(dir);
    await buildVerdictExport(dir, 'lib.Plugin.load', { minBatches: 2, minSources: 2 });
    const r = await verify(dir);
    assert.equal(r.ok, true, JSON.stringify(r, null, 2));
    assert.equal(r.state, 'RuntimeUnobserved');
  });

  test('one changed byte in a cited fact blob: batch-provenance fails naming the batch and the provenance hash mismatch', async () => {
    const dir = copy();
    const path = factsPath(dir, BATCHES[1]!.batchId);
    const bytes = readFileSync(path);
    bytes[bytes.indexOf('7')] = '8'.charCodeAt(0); // "hitCount":7 → 8: still valid facts, other bytes
    writeFileSync(path, bytes);
    const r = await verify(dir);
    expectFailed(
      r,
      'batch-provenance',
      'E_DIGEST_MISMATCH',
      new RegExp(`batch ${BATCHES[1]!.batchId}: provenance hash mismatch: facts hash to sha256:[0-9a-f]{64} but the verdict cites sha256:`),
    );
    const byName = Object.fromEntries(r.checks.map((c) => [c.name, c.status]));
    assert.equal(byName['runtime-evidence'], 'skipped', 'hits are not recounted from facts that are not the cited ones');
    assert.equal(byName['state'], 'skipped');
    assert.equal(byName['static-evidence'], 'passed', 'the callgraph checks are untouched');
  });

  test('one changed byte of the callgraph: callgraph-digest fails, the static evidence is not rebuilt from it', async () => {
    const dir = copy();
    const path = join(dir, VERDICT_FILES.callgraph);
    writeFileSync(path, readFileSync(path, 'utf8').replace('lib.Dead.code', 'lib.Dead.codf'));
    const r = await verify(dir);
    expectFailed(r, 'callgraph-digest', 'E_DIGEST_MISMATCH', /callgraph\.ndjson hashes to sha256:[0-9a-f]{64} but the verdict cites/);
    assert.equal(r.checks.find((c) => c.name === 'static-evidence')?.status, 'skipped');
  });

  test('the predicate state edited and re-signed with another key: verdict-signature fails', async () => {
    const dir = resigned((p) => ({ ...p, state: 'StaticUnreachable' }), forger);
    const r = await verify(dir);
    expectFailed(r, 'verdict-signature', 'E_SIGNATURE_INVALID', /no signature of the verdict .* verifies with a key of keys\.json/);
    // The rest still ran: the re-derivation disagrees too.
    assert.equal(r.checks.find((c) => c.name === 'state')?.status, 'failed');
  });

  test("a forged verdict with the forger's own key in keys.json: verifies only while the key is not pinned; a pinned --key refuses it", async () => {
    const forged = createSigner(forgerKeys.privateKey, 'forger-key');
    const dir = resigned((p) => ({ ...p }), forged);
    writeFileSync(
      join(dir, VERDICT_FILES.keys),
      JSON.stringify({ keys: [{ keyId: 'forger-key', publicKeyPem: publicKeyToPem(forgerKeys.publicKey) }] }),
    );
    const unpinned = await verifyVerdictExport(await readVerdictExportDir(dir), {});
    const signature = unpinned.checks.find((c) => c.name === 'verdict-signature');
    assert.equal(signature?.status, 'passed');
    assert.match(signature.message, /not pinned: pass --key/, 'an unpinned key is said to be unpinned');
    const pinned = await verifyVerdictExport(await readVerdictExportDir(dir), { trustedKeys: [servicePublicKey] });
    expectFailed(pinned, 'verdict-signature', 'E_NOT_FOUND', /no key of keys\.json is one of the trusted keys/);
    // The genuine export passes with the service key pinned.
    const genuine = await verifyVerdictExport(await readVerdictExportDir(good), { logKey, trustedKeys: [servicePublicKey] });
    assert.equal(genuine.ok, true, JSON.stringify(genuine.failure));
    assert.match(genuine.checks[0]!.message, /\(a trusted key\)/);
  });

  test('requireLogged: a verdict whose log bundle was removed fails instead of skipping the log check', async () => {
    const dir = copy();
    rmSync(join(dir, VERDICT_FILES.verdictBundle));
    const strict = await verifyVerdictExport(await readVerdictExportDir(dir), { logKey, requireLogged: true });
    expectFailed(
      strict,
      'verdict-log-inclusion',
      'E_NOT_FOUND',
      /must be logged \(--require-logged\) but the export has no verdict\.bundle\.json/,
    );
    const lenient = await verify(dir);
    assert.equal(lenient.checks.find((c) => c.name === 'verdict-log-inclusion')?.status, 'skipped');
  });

  test('re-signed with the right key but a wrong state: the state check fails, naming both states', async () => {
    const dir = resigned((p) => ({ ...p, state: 'StaticUnreachable' }));
    const r = await verify(dir);
    expectFailed(r, 'state', 'E_DIGEST_MISMATCH', /^state: cited evidence gives ConfirmedReachable, the verdict says StaticUnreachable$/);
    assert.equal(r.checks.find((c) => c.name === 'verdict-signature')?.status, 'passed');
    assert.equal(r.checks.find((c) => c.name === 'verdict-log-inclusion')?.status, 'skipped', 'no bundle for the re-signed verdict');
  });

  test('a wrong static path, re-signed: static-evidence fails naming the path the graph gives', async () => {
    const dir = resigned((p) => ({ ...p, static: { ...p.static, path: ['app.Main.main', 'lib.Parser.vuln'] } }));
    expectFailed(await verify(dir), 'static-evidence', 'E_DIGEST_MISMATCH', /first difference at static\.path\[1\]/);
  });

  test("a cited batch's directory missing from the export: batch-provenance fails naming the batch", async () => {
    const dir = copy();
    rmSync(batchDir(dir, BATCHES[0]!.batchId), { recursive: true });
    expectFailed(
      await verify(dir),
      'batch-provenance',
      'E_NOT_FOUND',
      new RegExp(`batch ${BATCHES[0]!.batchId}: the export has no facts\\.ndjson`),
    );
  });

  test('a batch omitted from the verdict (re-signed): the runtime evidence no longer adds up', async () => {
    const dir = resigned((p) => ({ ...p, evidence: { ...p.evidence, batches: p.evidence.batches.slice(0, 1) } }));
    const r = await verify(dir);
    expectFailed(r, 'runtime-evidence', 'E_DIGEST_MISMATCH', /first difference at runtime\.(sources|windowBatchCount|windowSources)/);
  });

  test('a cited hit count that the facts do not hold (re-signed): runtime-evidence names the batch', async () => {
    const dir = resigned((p) => ({
      ...p,
      evidence: { ...p.evidence, batches: p.evidence.batches.map((b, i) => (i === 0 ? { ...b, hitCount: 50 } : b)) },
      runtime: { ...p.runtime, hitCount: 50 },
    }));
    expectFailed(
      await verify(dir),
      'runtime-evidence',
      'E_DIGEST_MISMATCH',
      new RegExp(`batch ${BATCHES[0]!.batchId}: its facts give lib\\.Parser\\.vuln 5 hits .* the verdict cites 50`),
    );
  });

  test('a tampered provenance record: batch-provenance names the field', async () => {
    const dir = copy();
    const path = join(batchDir(dir, BATCHES[0]!.batchId), 'provenance.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"host-a"', '"host-z"'));
    expectFailed(await verify(dir), 'batch-provenance', 'E_DIGEST_MISMATCH', /source host-z ≠ host-a/);
  });

  test("a batch attestation's signature flipped: batch-attestation fails", async () => {
    const dir = copy();
    const path = join(batchDir(dir, BATCHES[1]!.batchId), 'attestation.dsse.json');
    const env = JSON.parse(readFileSync(path, 'utf8')) as { signatures: { sig: string }[] };
    const sig = Buffer.from(env.signatures[0]!.sig, 'base64');
    sig[10] = sig[10]! ^ 1;
    env.signatures[0]!.sig = sig.toString('base64');
    writeFileSync(path, JSON.stringify(env));
    const r = await verify(dir);
    // The bytes differ from the locker's, so the cited attestationDigest is the first thing to fail.
    expectFailed(
      r,
      'batch-attestation',
      'E_DIGEST_MISMATCH',
      new RegExp(`batch ${BATCHES[1]!.batchId}: attestation\\.dsse\\.json hashes to`),
    );
  });

  test('the manifest edited: the manifest check fails on the cited manifestDigest', async () => {
    const dir = copy();
    const path = join(dir, VERDICT_FILES.manifest);
    writeFileSync(path, readFileSync(path, 'utf8').replace('"scanner"', '"scanner2"'));
    expectFailed(
      await verify(dir),
      'manifest',
      'E_DIGEST_MISMATCH',
      /manifest\.json \(as stored\) hashes to .* but the verdict cites manifestDigest/,
    );
  });

  test('a cited batch id that is not a ULID never becomes a path: batch-provenance fails with E_INVALID_INPUT', async () => {
    const dir = resigned((p) => ({
      ...p,
      evidence: { ...p.evidence, batches: p.evidence.batches.map((b, i) => (i === 0 ? { ...b, batchId: '../../../etc' } : b)) },
    }));
    expectFailed(await verify(dir), 'batch-provenance', 'E_INVALID_INPUT', /cited batchId: "\.\.\/\.\.\/\.\.\/etc" is not a valid ULID/);
  });

  test('a record file over its size limit is refused, not read: E_PAYLOAD_TOO_LARGE naming the file', async () => {
    const dir = copy();
    const path = join(batchDir(dir, BATCHES[0]!.batchId), 'provenance.json');
    truncateSync(path, VERDICT_EXPORT_LIMITS.recordBytes + 1); // sparse: no 16 MiB written
    expectFailed(
      await verify(dir),
      'batch-provenance',
      'E_PAYLOAD_TOO_LARGE',
      /provenance\.json is 16777217 bytes, more than the 16777216/,
    );
  });

  test('log inclusion needs the pinned log key: without it the log checks fail rather than trust the export', async () => {
    const r = await verifyVerdictExport(await readVerdictExportDir(good), {});
    expectFailed(r, 'verdict-log-inclusion', 'E_USAGE', /--log-key/);
  });

  test('a verdict file given beside the export directory is the one verified', async () => {
    const file = join(root, 'other-verdict.dsse.json');
    writeFileSync(file, signPredicate({ ...structuredClone(fixture.predicate), state: 'Unknown' }));
    const dir = copy();
    rmSync(join(dir, VERDICT_FILES.verdictBundle));
    expectFailed(await verify(dir, file), 'state', 'E_DIGEST_MISMATCH', /gives ConfirmedReachable, the verdict says Unknown/);
  });
});

describe('attestry signals verify-verdict --dir', () => {
  const cli = (args: string[]) => runCli(['signals', 'verify-verdict', ...args]);
  let vkey: string;
  before(() => {
    vkey = join(root, 'log.vkey');
    writeFileSync(vkey, logVkey());
  });

  test('a complete export: exit 0, VERIFIED with the state; --json carries every check', async () => {
    const r = await cli([join(good, VERDICT_FILES.verdict), '--dir', good, '--log-key', vkey]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^VERIFIED: lib\.Parser\.vuln is ConfirmedReachable in callgraph /);
    assert.match(r.stdout, /ok {3}state {18}cited evidence gives ConfirmedReachable/);
    const j = jsonOut(await cli([join(good, VERDICT_FILES.verdict), '--dir', good, '--log-key', vkey, '--json']));
    assert.equal(j['ok'], true);
    assert.equal(j['derivedState'], 'ConfirmedReachable');
    assert.equal((j['checks'] as unknown[]).length, 9);
  });

  test('one flipped byte in a fact blob: exit 2 naming batch-provenance and the provenance hash mismatch', async () => {
    const dir = copy();
    const path = factsPath(dir, BATCHES[0]!.batchId);
    const bytes = readFileSync(path);
    bytes[bytes.indexOf('3')] = '4'.charCodeAt(0);
    writeFileSync(path, bytes);
    const r = await cli([join(dir, VERDICT_FILES.verdict), '--dir', dir, '--log-key', vkey]);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stdout, /^FAILED: .*batch-provenance: batch \S+: provenance hash mismatch/);
    assert.match(r.stdout, /FAIL batch-provenance/);
    const j = jsonOut(await cli([join(dir, VERDICT_FILES.verdict), '--dir', dir, '--log-key', vkey, '--json']));
    assert.equal(j['ok'], false);
    assert.equal(j['code'], 'E_DIGEST_MISMATCH');
    assert.match(String(j['message']), /^batch-provenance: batch .* provenance hash mismatch: facts hash to sha256:/);
  });

  test('a verdict file that does not exist: exit 1 (a load error, not a failed verification)', async () => {
    const r = await cli([join(root, 'nope.dsse.json'), '--dir', good, '--log-key', vkey]);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /nope\.dsse\.json does not exist/);
  });

  test('--help shows examples and the exit codes', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /Examples:\n {2}attestry signals verify-verdict /);
    assert.match(r.stdout, /Exit codes:[\s\S]* 2 {2}a check ran and failed; the message starts with its name/);
  });
});

describe('attestry signals export-verdict and verify-verdict --server (over a served export)', () => {
  let served: { url: string; close: () => Promise<void> };
  let vkey: string;
  const env = { ATTESTRY_TOKEN: 'tok' };
  before(async () => {
    served = await serveExport(good, 'VERDICT', 'tok');
    vkey = join(root, 'served.vkey');
    writeFileSync(vkey, logVkey());
  });
  after(() => served.close());

  test('export-verdict writes the very files of the export; they verify', async () => {
    const out = join(root, 'exported');
    const e = await runCli(['signals', 'export-verdict', 'VERDICT', '--out', out, '--server', served.url, '--json'], { env });
    assert.equal(e.code, 0, show(e));
    assert.equal(jsonOut(e)['batches'], 2);
    for (const f of Object.values(VERDICT_FILES)) assert.deepEqual(readFileSync(join(out, f)), readFileSync(join(good, f)), f);
    for (const b of BATCHES) assert.deepEqual(readFileSync(factsPath(out, b.batchId)), readFileSync(factsPath(good, b.batchId)));
    const v = await runCli(['signals', 'verify-verdict', join(out, VERDICT_FILES.verdict), '--dir', out, '--log-key', vkey]);
    assert.equal(v.code, 0, show(v));
  });

  test('export-verdict into a directory used before: an optional file the server no longer sends is removed', async () => {
    const unlogged = copy();
    rmSync(join(unlogged, VERDICT_FILES.verdictBundle));
    const server = await serveExport(unlogged, 'VERDICT', 'tok');
    try {
      const out = join(root, 'reused');
      mkdirSync(out);
      writeFileSync(join(out, VERDICT_FILES.verdictBundle), '{"stale":"bundle of another verdict"}');
      const e = await runCli(['signals', 'export-verdict', 'VERDICT', '--out', out, '--server', server.url], { env });
      assert.equal(e.code, 0, show(e));
      assert.equal(existsSync(join(out, VERDICT_FILES.verdictBundle)), false, 'the stale bundle is gone');
      const v = await runCli(['signals', 'verify-verdict', join(out, VERDICT_FILES.verdict), '--dir', out, '--log-key', vkey]);
      assert.equal(v.code, 0, show(v));
      assert.match(v.stdout, /skip verdict-log-inclusion/);
    } finally {
      await server.close();
    }
  });

  test('verify-verdict --server: the cited records fetched into a temporary directory, the verdict log entry found', async () => {
    const v = await runCli(
      ['signals', 'verify-verdict', join(good, VERDICT_FILES.verdict), '--server', served.url, '--log-key', vkey, '--json'],
      { env },
    );
    assert.equal(v.code, 0, show(v));
    const checks = jsonOut(v)['checks'] as { name: string; status: string }[];
    assert.ok(
      checks.every((c) => c.status === 'passed'),
      JSON.stringify(checks),
    );
  });

  test('verify-verdict --server with a re-signed wrong state: exit 2 naming the state check', async () => {
    const file = join(root, 'wrong-state.dsse.json');
    writeFileSync(file, signPredicate({ ...structuredClone(fixture.predicate), state: 'ConfirmedUnreachable' }));
    const v = await runCli(['signals', 'verify-verdict', file, '--server', served.url, '--log-key', vkey], { env });
    assert.equal(v.code, 2, show(v));
    assert.match(v.stdout, /state: cited evidence gives ConfirmedReachable, the verdict says ConfirmedUnreachable/);
    assert.match(v.stdout, /skip verdict-log-inclusion/, 'the server holds no record of a verdict it never signed');
  });
});
