/**
 * `attestry signals reachability` (the built CLI) against the real service:
 * the human answer (state, the path with its edge kinds, runtime hits,
 * cited batches, manifest digest and log index, the verdict with --attest),
 * --json, --format openvex to stdout and to --out, --osv, `history`, and the
 * usage and server errors with their exit codes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonOut, runCli, show } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { assertOpenVex, OSV_ADVISORY, PURL, storeBatch, storeGraph, SYM } from '../helpers/reach-http.js';

let srv: TestServer;
let token: string;
let graphId: string;
let tmp: string;
let provenanceId: string;

before(async () => {
  srv = await startTestServer();
  token = await srv.token('signals-service', ['default']);
  graphId = await storeGraph(srv, token);
  provenanceId = String(
    (await storeBatch(srv, token, graphId, { hits: { [SYM.parse]: 5 }, source: 'host-1', receivedAt: '2025-03-01T00:00:00Z' }))[
      'provenanceId'
    ],
  );
  tmp = mkdtempSync(join(tmpdir(), 'attestry-reach-cli-'));
});
after(async () => {
  await srv?.stop();
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli(['signals', 'reachability', ...args, '--server', srv.url], { env: { ATTESTRY_TOKEN: token } });

describe('attestry signals reachability', () => {
  test('human output: state, path with edge kinds, runtime, evidence, manifest', async () => {
    const r = await cli(['--callgraph', graphId, '--symbol', SYM.parse, '--symbol', SYM.dead]);
    assert.equal(r.code, 0, show(r));
    const out = r.stdout;
    assert.match(out, new RegExp(`^callgraph ${graphId} \\(${PURL.replace(/[.@/]/g, '\\$&')}\\)`));
    assert.match(out, /\n {2}manifest {3}sha256:[0-9a-f]{64}, (log index \d+|not logged)\n/);
    assert.ok(out.includes(`${SYM.parse}  ConfirmedReachable\n`), out);
    assert.ok(out.includes(`static     reachable: ${SYM.main} -[static]→ ${SYM.handle} -[static]→ ${SYM.parse}\n`), out);
    assert.match(out, /runtime {4}observed: 5 hits in 1 batch\(es\), first \S+, last \S+, sources host-1\n/);
    assert.match(out, /evidence {3}1 batch\(es\) cited \(1 saw it\), window all time/);
    assert.ok(out.includes(`${SYM.dead}  ConfirmedUnreachable\n`), out);
    assert.match(out, /static {5}unreachable: no path from an entry point/);
    assert.doesNotMatch(out, /verdict/, 'no verdict without --attest');
  });

  test('--json: {ok: true, ...the reply}', async () => {
    const r = await cli(['--callgraph', graphId, '--symbol', SYM.parse, '--json']);
    assert.equal(r.code, 0, show(r));
    const j = jsonOut(r);
    assert.equal(j['callgraphId'], graphId);
    const [a] = j['results'] as Record<string, unknown>[];
    assert.equal(a?.['state'], 'ConfirmedReachable');
    assert.deepEqual(a?.['path'], [SYM.main, SYM.handle, SYM.parse]);
    assert.deepEqual((a?.['evidence'] as Record<string, unknown>)['provenanceIds'], [provenanceId]);
  });

  test('--attest prints the verdict; history lists it (human and --json)', async () => {
    const r = await cli(['--callgraph', graphId, '--symbol', SYM.plugin, '--attest']);
    assert.equal(r.code, 0, show(r));
    const m = /\n {2}verdict {4}([0-9A-Z]{26}), sequence 1, (log index \d+|not logged)\n/.exec(r.stdout);
    assert.ok(m, r.stdout);
    const again = await cli(['--callgraph', graphId, '--symbol', SYM.plugin, '--attest']);
    assert.match(again.stdout, /already recorded: same evidence/);
    const h = await cli(['history', '--callgraph', graphId, '--symbol', SYM.plugin]);
    assert.equal(h.code, 0, show(h));
    assert.ok(h.stdout.startsWith(`${SYM.plugin} on callgraph ${graphId}: 1 verdict(s), chain ok\n`), h.stdout);
    assert.match(h.stdout, new RegExp(`#1 {2}\\S+ {2}RuntimeUnobserved +${m[1]}`));
    const hj = await cli(['history', '--callgraph', graphId, '--symbol', SYM.plugin, '--json']);
    assert.equal(hj.code, 0, show(hj));
    assert.equal(jsonOut(hj)['chainOk'], true);
    assert.equal((jsonOut(hj)['verdicts'] as unknown[]).length, 1);
  });

  test('--format openvex: the document on stdout, or to --out with a summary', async () => {
    const r = await cli(['--callgraph', graphId, '--symbol', SYM.dead, '--format', 'openvex', '--vulnerability', 'CVE-2025-1']);
    assert.equal(r.code, 0, show(r));
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    assertOpenVex(doc);
    assert.equal((doc['statements'] as Record<string, unknown>[])[0]?.['status'], 'not_affected');
    const out = join(tmp, 'vex.json');
    const w = await cli(['--callgraph', graphId, '--symbol', SYM.parse, '--format', 'openvex', '--out', out, '--json']);
    assert.equal(w.code, 0, show(w));
    assert.equal(jsonOut(w)['out'], out);
    assert.equal(jsonOut(w)['status'], 'affected');
    assertOpenVex(JSON.parse(readFileSync(out, 'utf8')));
  });

  test('--osv FILE with --purl: the advisory’s symbol is answered', async () => {
    const file = join(tmp, 'advisory.json');
    writeFileSync(file, JSON.stringify(OSV_ADVISORY));
    const r = await cli(['--purl', PURL, '--osv', file, '--json']);
    assert.equal(r.code, 0, show(r));
    assert.equal(jsonOut(r)['vulnerability'], OSV_ADVISORY.id);
    const states = (jsonOut(r)['results'] as Record<string, unknown>[]).map((x) => [x['symbol'], x['state']]);
    assert.deepEqual(states, [[SYM.parse, 'ConfirmedReachable']]);
  });

  test('usage errors exit 1 before any request; server refusals exit 1 with their code', async () => {
    for (const [args, message] of [
      [['--symbol', 'x'], /--callgraph G .* --purl P/],
      [['--callgraph', graphId, '--purl', PURL, '--symbol', 'x'], /one of --callgraph/],
      [['--callgraph', graphId], /--symbol S .* --osv FILE/],
      [['history', '--callgraph', graphId], /exactly one --symbol/],
    ] as const) {
      const r = await cli([...args, '--json']);
      assert.equal(r.code, 1, show(r));
      assert.equal(jsonOut(r)['code'], 'E_USAGE');
      assert.match(String(jsonOut(r)['message']), message);
    }
    const nf = await cli(['--callgraph', '01ARZ3NDEKTSV4RRFFQ69G5FAV', '--symbol', 'x', '--json']);
    assert.equal(nf.code, 1, show(nf));
    assert.equal(jsonOut(nf)['code'], 'E_NOT_FOUND');
    const bad = await cli(['--callgraph', graphId, '--symbol', 'x', '--since', 'yesterday']);
    assert.equal(bad.code, 1, show(bad));
    assert.match(bad.stderr, /since.*\[E_INVALID_INPUT\]/);
  });
});
