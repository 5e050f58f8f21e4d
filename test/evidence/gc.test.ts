import assert from 'node:assert/strict';
import { existsSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ulid } from 'ulid';
import { collectOrphanBlobs } from '../../src/evidence/gc.js';
import { casLayout } from '../../src/kinds/cas-layout.js';
import { expectExit, jsonOut, runCli } from '../helpers/cli.js';
import { signedStatement, startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
let keptIds: string[] = [];
const HOUR = 3600_000;

before(async () => {
  srv = await startTestServer({ keepDataDir: false });
  await srv.addTenant('acme');
  const signer = await srv.trustNewKey('acme', 'k');
  const token = await srv.token('signals-service', ['acme']);
  keptIds = [];
  for (const hex of ['11'.repeat(32), '22'.repeat(32)]) {
    const r = await srv.request('POST', '/api/v1/attestations', { token, body: signedStatement(signer, hex) });
    assert.equal(r.status, 201, r.text);
    keptIds.push((r.json as { id: string }).id);
  }
});
after(() => srv.stop());

const blobPath = (key: string): string => join(srv.dataDir, 'cas', 'signals', ...key.split('/'));

test('gc removes only unreferenced blobs older than the minimum age, never stored evidence', async () => {
  const { blobs, repos } = srv.services;
  const oldOrphan = casLayout.attestation(ulid(Date.now() - 2 * HOUR));
  const freshOrphan = casLayout.attestation(ulid(Date.now()));
  await blobs.put(oldOrphan, Buffer.from('{"interrupted":1}'));
  await blobs.put(freshOrphan, Buffer.from('{"in flight":1}'));
  // A temp file an interrupted write left behind, two hours old.
  const tmp = join(srv.dataDir, 'cas', 'signals', 'attestations', '.tmp-crashed-1');
  writeFileSync(tmp, 'partial');
  const twoHoursAgo = new Date(Date.now() - 2 * HOUR);
  utimesSync(tmp, twoHoursAgo, twoHoursAgo);

  const dry = await collectOrphanBlobs({ blobs, evidence: repos.evidence }, { now: new Date(), minAgeMs: HOUR, dryRun: true });
  assert.deepEqual(dry.orphans, [oldOrphan]);
  assert.equal(dry.removed, 0);
  assert.ok(existsSync(blobPath(oldOrphan)) && existsSync(tmp), 'a dry run removes nothing');

  const real = await collectOrphanBlobs({ blobs, evidence: repos.evidence }, { now: new Date(), minAgeMs: HOUR, dryRun: false });
  assert.deepEqual(real.orphans, [oldOrphan]);
  assert.equal(real.removed, 1);
  assert.equal(real.tempFilesRemoved, 1);
  assert.ok(!existsSync(blobPath(oldOrphan)));
  assert.ok(!existsSync(tmp));
  assert.ok(existsSync(blobPath(freshOrphan)), 'a young blob may be a write in flight: kept');
  for (const id of keptIds) {
    const row = await repos.evidence.get(id);
    assert.ok(row && existsSync(blobPath(row.blobKey)), `stored evidence ${id} kept`);
  }
  assert.equal(readdirSync(join(srv.dataDir, 'cas', 'signals', 'attestations')).length, keptIds.length + 1);
});

test('attestry gc --dry-run --json reports without removing', async () => {
  const orphan = casLayout.attestation(ulid(Date.now() - 3 * HOUR));
  await srv.services.blobs.put(orphan, Buffer.from('{}'));
  const r = expectExit(await runCli(['gc', '--data-dir', srv.dataDir, '--dry-run', '--json']), 0);
  const out = jsonOut(r);
  assert.deepEqual(out['orphans'], [orphan]);
  assert.equal(out['dryRun'], true);
  assert.ok(existsSync(blobPath(orphan)));
  const real = jsonOut(expectExit(await runCli(['gc', '--data-dir', srv.dataDir, '--json']), 0));
  assert.equal(real['removed'], 1);
  assert.ok(!existsSync(blobPath(orphan)));
});
