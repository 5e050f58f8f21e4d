/**
 * A signed reachability verdict re-derived offline, end to end through the
 * real server and the CLI, on SQLite and on PostgreSQL: a callgraph and two
 * runtime-fact batches go in, the answer is attested, `attestry signals
 * export-verdict` writes it and every record it cites to a directory, and
 * `attestry signals verify-verdict` re-derives the state from that directory
 * (exit 0), fails on one flipped byte of a cited fact blob naming the
 * provenance hash mismatch (exit 2), and verifies again fetching the cited
 * records from the server (--server), the verdict's own log entry included.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BATCH_FILES, BATCHES_DIR, VERDICT_FILES } from '../../src/signals/reach-export.js';
import { jsonOut, runCli, show } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ingestFacts, json, signalsBackends, uploadGraph } from '../helpers/signals-http.js';

const VULN = 'org.acme.Lib.vuln';
/** Stored form needs no symbol: a node without one is its id. main → parse → vuln, and a node nothing calls. */
const GRAPH = [
  { kind: 'node', id: 'org.acme.App.main', entry: true },
  { kind: 'node', id: 'org.acme.Lib.parse', entry: false },
  { kind: 'node', id: VULN, entry: false },
  { kind: 'node', id: 'org.acme.Lib.unused', entry: false },
  { kind: 'edge', from: 'org.acme.App.main', to: 'org.acme.Lib.parse' },
  { kind: 'edge', from: 'org.acme.Lib.parse', to: VULN },
]
  .map((l) => JSON.stringify(l))
  .join('\n');

const facts = (lines: object[]): Buffer => Buffer.from(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));

for (const backend of await signalsBackends()) {
  describe(`verify-verdict end to end on ${backend.name}`, { skip: backend.skip }, () => {
    let srv: TestServer;
    let cleanup: (() => Promise<void>) | undefined;
    let svc: string;
    let work: string;
    let vkey: string;
    let verdictId: string;
    const batchIds: string[] = [];
    const cli = (args: string[]) => runCli(['signals', ...args, '--server', srv.url], { env: { ATTESTRY_TOKEN: svc }, timeoutMs: 60_000 });

    before(async () => {
      const db = await backend.open();
      cleanup = db.cleanup;
      srv = await startTestServer({ env: db.env });
      await srv.addTenant('t1');
      svc = await srv.token('signals-service', ['t1']);
      work = mkdtempSync(join(tmpdir(), 'attestry-reach-e2e-'));
      vkey = join(work, 'log.vkey');
      const key = await srv.request('GET', '/api/v1/log/key');
      writeFileSync(vkey, `${String(json(key)['verifierKey'])}\n`);
    });
    after(async () => {
      await srv?.stop();
      await cleanup?.();
      if (work !== undefined) rmSync(work, { recursive: true, force: true });
    });

    test('a callgraph and two batches go in; the attested answer is ConfirmedReachable with a verdict id', async () => {
      const g = await uploadGraph(srv, svc, { tenant: 't1', purl: 'pkg:maven/org.acme/app@1.0.0', body: GRAPH });
      assert.equal(g.status, 201, g.text);
      const graphId = String(json(g)['graphId']);
      const sent = [
        {
          source: 'host-a.ebpf',
          body: facts([{ symbolId: VULN, hitCount: 4, observedAt: '2026-12-01T10:00:00.123456Z' }, { symbolId: 'org.acme.App.main' }]),
        },
        { source: 'host-b.ebpf', body: facts([{ symbolId: 'org.acme.Lib.parse', hitCount: 2, observedAt: '2026-12-01T10:05:00Z' }]) },
      ];
      for (const b of sent) {
        const r = await ingestFacts(srv, svc, { tenant: 't1', callgraphId: graphId, source: b.source, body: b.body });
        assert.equal(r.status, 201, r.text);
        batchIds.push(String(json(r)['batchId']));
      }
      const r = await srv.request('GET', `/signals/reachability?callgraph_id=${graphId}&symbol=${encodeURIComponent(VULN)}&attest=true`, {
        token: svc,
      });
      assert.equal(r.status, 200, r.text);
      const a = json(r);
      assert.equal(a['state'], 'ConfirmedReachable', r.text);
      assert.equal(typeof a['attestationId'], 'string', r.text);
      verdictId = String(a['attestationId']);
    });

    test('export-verdict writes the verdict and every cited record; verify-verdict --dir re-derives it: exit 0', async () => {
      const dir = join(work, 'export');
      const e = await cli(['export-verdict', verdictId, '--out', dir]);
      assert.equal(e.code, 0, show(e));
      for (const f of ['verdict', 'verdictBundle', 'callgraph', 'manifest', 'manifestEnvelope', 'manifestBundle', 'keys'] as const)
        assert.ok(existsSync(join(dir, VERDICT_FILES[f])), `${VERDICT_FILES[f]} exported`);
      for (const id of batchIds)
        for (const f of Object.values(BATCH_FILES)) assert.ok(existsSync(join(dir, BATCHES_DIR, id, f)), `batch ${id}: ${f} exported`);

      const v = await cli(['verify-verdict', join(dir, VERDICT_FILES.verdict), '--dir', dir, '--log-key', vkey, '--json']);
      assert.equal(v.code, 0, show(v));
      const report = jsonOut(v);
      assert.equal(report['ok'], true);
      assert.equal(report['derivedState'], 'ConfirmedReachable');
      const statuses = Object.fromEntries((report['checks'] as { name: string; status: string }[]).map((c) => [c.name, c.status]));
      assert.deepEqual(statuses, {
        'verdict-signature': 'passed',
        'verdict-log-inclusion': 'passed',
        'callgraph-digest': 'passed',
        manifest: 'passed',
        'static-evidence': 'passed',
        'batch-provenance': 'passed',
        'batch-attestation': 'passed',
        'runtime-evidence': 'passed',
        state: 'passed',
      });
    });

    test('one flipped byte in a cited fact blob: verify-verdict exits 2 naming the provenance hash mismatch', async () => {
      const dir = join(work, 'export');
      const path = join(dir, BATCHES_DIR, batchIds[0]!, BATCH_FILES.facts);
      const bytes = readFileSync(path);
      bytes[bytes.indexOf('4')] = '5'.charCodeAt(0); // hitCount 4 → 5
      writeFileSync(path, bytes);
      const v = await cli(['verify-verdict', join(dir, VERDICT_FILES.verdict), '--dir', dir, '--log-key', vkey]);
      assert.equal(v.code, 2, show(v));
      assert.match(
        v.stdout,
        new RegExp(
          `batch-provenance: batch ${batchIds[0]!}: provenance hash mismatch: facts hash to sha256:[0-9a-f]{64} but the verdict cites sha256:`,
        ),
      );
    });

    test('verify-verdict --server fetches the cited records itself: exit 0, the verdict log entry found and checked', async () => {
      const file = join(work, 'export', VERDICT_FILES.verdict);
      const v = await cli(['verify-verdict', file, '--log-key', vkey, '--json']);
      assert.equal(v.code, 0, show(v));
      const report = jsonOut(v);
      assert.equal(report['ok'], true);
      const log = (report['checks'] as { name: string; status: string }[]).find((c) => c.name === 'verdict-log-inclusion');
      assert.equal(log?.status, 'passed', JSON.stringify(report['checks']));
    });
  });
}
