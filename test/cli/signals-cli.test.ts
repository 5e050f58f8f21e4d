/**
 * `attestry signals` against the real Signals routes (on the recording
 * use-case double of test/helpers/signals-routes.ts): uploads stream the
 * file with the right Content-Type (and Content-Encoding), the server
 * receives the bytes as they are in the file, downloads land byte for byte,
 * and `facts stream` follows the cursor to the last page.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { IngestFactsQuery, StoreCallgraphQuery, StreamFactsQuery } from '../../src/signals/types.js';
import { jsonOut, runCli, show } from '../helpers/cli.js';
import { BATCH, GRAPH, startSignalsRoutesServer, type SignalsTestServer } from '../helpers/signals-routes.js';
import { factsDigestOf } from '../../src/signals/verify-offline.js';

let srv: SignalsTestServer;
let tmp: string;

before(async () => {
  srv = await startSignalsRoutesServer();
  tmp = mkdtempSync(join(tmpdir(), 'attestry-signals-cli-'));
});
after(async () => {
  await srv.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli([...args, '--server', srv.base, '--json'], { env: { ATTESTRY_TOKEN: srv.token } });

describe('attestry signals', () => {
  test('callgraph upload streams the file as NDJSON with its digest; the manifest comes back', async () => {
    const file = join(tmp, 'graph.ndjson');
    const lines = Array.from({ length: 20_000 }, (_, i) => `{"kind":"node","id":"n${i}"}\n`).join('');
    writeFileSync(file, lines);
    const r = await cli([
      'signals',
      'callgraph',
      'upload',
      file,
      '--tenant',
      't1',
      '--language',
      'java',
      '--source',
      'scanner',
      '--purl',
      'pkg:maven/a/b@1',
    ]);
    assert.equal(r.code, 0, show(r));
    assert.equal(jsonOut(r)['graphId'], GRAPH);
    const c = srv.uc.last('storeCallgraph');
    assert.equal(c.form, 'ndjson');
    assert.equal(c.body?.toString(), lines);
    const q = c.args[1] as StoreCallgraphQuery;
    assert.equal(q.componentPurl, 'pkg:maven/a/b@1');
    assert.equal(q.digest, factsDigestOf(Buffer.from(lines)));
  });

  test('facts upload --zstd / --gzip: the server gets the file decoded, with the provenance hash of the plain bytes', async () => {
    const file = join(tmp, 'facts.ndjson');
    const facts = Array.from({ length: 5000 }, (_, i) => `{"symbolId":"sym:java:${i}","hitCount":${i}}\n`).join('');
    writeFileSync(file, facts);
    for (const flag of ['--zstd', '--gzip', undefined]) {
      const args = [
        'signals',
        'facts',
        'upload',
        file,
        '--callgraph',
        GRAPH,
        '--source',
        'h',
        '--pipeline-version',
        'v1',
        '--batch-id',
        BATCH,
      ];
      const r = await cli(flag === undefined ? args : [...args, flag]);
      assert.equal(r.code, 0, show(r));
      assert.equal(jsonOut(r)['batchId'], BATCH);
      const c = srv.uc.last('ingestFacts');
      assert.equal(c.body?.toString(), facts, String(flag));
      const q = c.args[1] as IngestFactsQuery;
      assert.equal(q.provenanceHash, factsDigestOf(Buffer.from(facts)));
      assert.equal(q.callgraphId, GRAPH);
      assert.equal(q.pipelineVersion, 'v1');
    }
  });

  test('facts stream follows the cursor to the last page; facts get and callgraph get write the bytes', async () => {
    const out = join(tmp, 'stream.ndjson');
    const r = await cli(['signals', 'facts', 'stream', '--callgraph', GRAPH, '--include-provenance', '--limit', '3', '--out', out]);
    assert.equal(r.code, 0, show(r));
    assert.equal(jsonOut(r)['pages'], 2);
    assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 6);
    const streams = srv.uc.calls.filter((c) => c.op === 'streamFacts').slice(-2);
    assert.deepEqual(
      streams.map((c) => (c.args[0] as StreamFactsQuery).cursor),
      [undefined, 'cursor-2'],
    );
    assert.equal((streams[0]!.args[0] as StreamFactsQuery).includeProvenance, true);

    const batch = join(tmp, 'batch.ndjson');
    const g = await cli(['signals', 'facts', 'get', BATCH, '--out', batch]);
    assert.equal(g.code, 0, show(g));
    assert.equal(readFileSync(batch, 'utf8'), '{"symbolId":"s"}\n');
    const graph = join(tmp, 'got.ndjson');
    const cg = await cli(['signals', 'callgraph', 'get', GRAPH, '--out', graph]);
    assert.equal(cg.code, 0, show(cg));
    assert.match(readFileSync(graph, 'utf8'), /"kind":"node"/);
  });

  test('manifest and find print the parsed replies; an unknown graph is exit 1 with E_NOT_FOUND', async () => {
    const m = await cli(['signals', 'callgraph', 'manifest', GRAPH]);
    assert.equal(m.code, 0, show(m));
    assert.equal(jsonOut(m)['graphId'], GRAPH);
    const f = await cli(['signals', 'callgraph', 'find', 'pkg:npm/%40acme/backend@1.2.3', '--limit', '1']);
    assert.equal(f.code, 0, show(f));
    assert.equal(jsonOut(f)['next'], 'page-2');
    assert.equal(srv.uc.last('findByPurl').args[0], 'pkg:npm/%40acme/backend@1.2.3');
    const missing = await cli(['signals', 'callgraph', 'get', '01HWXYZ123456789ABCDEFGH99', '--out', join(tmp, 'x')]);
    assert.equal(missing.code, 1, show(missing));
    assert.equal(jsonOut(missing)['code'], 'E_NOT_FOUND');
  });

  test('a broken download is an error, not a short file reported as written', async () => {
    const r = await cli(['signals', 'callgraph', 'get', '01HWXYZ123456789ABCDEFGHJB', '--out', join(tmp, 'broken.ndjson')]);
    assert.equal(r.code, 1, show(r));
    assert.equal(jsonOut(r)['code'], 'E_UNAVAILABLE');
  });
});
