/**
 * kill -9 of a real `attestry serve` child process in the middle of a stream
 * of writes: after restart, every write that was acknowledged (201) is there
 * and verifies, and no index row lacks its bytes. Blobs written but never
 * acknowledged may remain unreferenced; they are not visible through the API.
 * Each acknowledged write is also in the transparency log at the index its
 * reply named, and the log is one tree under its signed checkpoint.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { issueToken } from '../../src/authz/tokens.js';
import { trustPublicKey } from '../../src/evidence/trust.js';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { createSigner } from '../../src/crypto/signer.js';
import { openIndexServices } from '../../src/app/index-services.js';
import { parseCasKey } from '../../src/kinds/cas-layout.js';
import { startServeChild, type ServeChild } from '../helpers/serve-child.js';
import { signedStatement, startTestServer } from '../helpers/server.js';
import { openCheckpoint } from '../../src/tlog/checkpoint.js';
import { parseVerifierKey } from '../../src/tlog/note.js';
import { naiveLeaf, naiveRoot } from '../tlog/naive.js';

const dataDir = mkdtempSync(join(tmpdir(), 'attestry-kill9-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

async function prepare(): Promise<{ token: string; signer: ReturnType<typeof createSigner> }> {
  const s = await openIndexServices(loadConfig({ env: {}, dataDir }));
  try {
    await s.repos.tenants.add('crash', null, new Date());
    const pair = generateKeyPair('ed25519');
    await trustPublicKey(s.repos.trustedKeys, 'crash', 'crash-key', pair.publicKey, new Date());
    const { token } = await issueToken(s.repos, { principal: 'signals-service', tenants: ['crash'] }, s);
    return { token, signer: createSigner(pair.privateKey, 'crash-key') };
  } finally {
    await s.close();
  }
}

const startChild = (): Promise<ServeChild> => startServeChild(dataDir);

test('kill -9 during a stream of writes loses no acknowledged write and leaves no half record', { timeout: 60_000 }, async () => {
  const { token, signer } = await prepare();
  const server = await startChild();
  const acked = new Map<string, string>(); // id → subject hex
  const loggedAt = new Map<string, { logIndex: number; rekorUuid: string }>();
  let stop = false;
  let attempted = 0;
  const writer = async (w: number): Promise<void> => {
    for (let i = 0; !stop; i++) {
      const subject = `${w.toString(16).padStart(8, '0')}${i.toString(16).padStart(56, '0')}`;
      const envelope = signedStatement(signer, subject, 'https://stella.ops/attestation/runtime-facts/v1', { w, i });
      attempted += 1;
      try {
        const res = await fetch(`${server.url}/api/v1/attestations`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(envelope),
        });
        if (res.status === 201) {
          const body = (await res.json()) as { id: string; logIndex: number; rekorUuid: string };
          acked.set(body.id, subject);
          loggedAt.set(body.id, { logIndex: body.logIndex, rekorUuid: body.rekorUuid });
        } else assert.fail(`unexpected status ${res.status}: ${await res.text()}`);
      } catch (e) {
        if (!stop) throw e;
        return; // connection cut by the kill: not acknowledged, nothing to check
      }
    }
  };
  const writers = Array.from({ length: 8 }, (_, w) => writer(w).catch((e: unknown) => (stop ? undefined : Promise.reject(e))));
  // Let writes flow, then kill mid-stream.
  while (acked.size < 300) await new Promise((r) => setTimeout(r, 20));
  stop = true;
  await server.kill();
  await Promise.all(writers);
  assert.ok(attempted > acked.size, 'some writes were in flight at the kill');

  const restarted = await startTestServer({ dataDir });
  try {
    const admin = await restarted.token('admin', ['*']);
    for (const [id, subject] of acked) {
      const got = await restarted.request('GET', `/api/v1/attestations/${id}`, { token: admin });
      assert.equal(got.status, 200, `acknowledged ${id} lost after kill -9: ${got.text}`);
      const found = await restarted.request('GET', `/api/v1/attestations?subject=sha256:${subject}`, { token: admin });
      assert.deepEqual(
        (found.json as { items: { id: string }[] }).items.map((x) => x.id),
        [id],
      );
    }
    // No half record: every index row's blob exists and matches its digest.
    const rows = await restarted.services.index.db.selectFrom('evidence').select(['id', 'blob_key', 'digest']).execute();
    assert.ok(rows.length >= acked.size);
    for (const row of rows) {
      const bytes = await restarted.services.blobs.get(parseCasKey(row.blob_key), row.digest as `sha256:${string}`);
      assert.ok(bytes.length > 0);
    }
    // Subjects rows never point at a missing evidence row.
    const dangling = await restarted.services.index.db
      .selectFrom('evidence_subjects as s')
      .leftJoin('evidence as e', 'e.id', 's.evidence_id')
      .select('s.evidence_id')
      .where('e.id', 'is', null)
      .execute();
    assert.deepEqual(dangling, []);
    // Every acknowledged write is in the transparency log where its reply said,
    // and the log after the crash is one consistent tree under a signed checkpoint.
    const vkey = parseVerifierKey(((await restarted.request('GET', '/api/v1/log/key')).json as { verifierKey: string }).verifierKey);
    const cp = openCheckpoint((await restarted.request('GET', '/tlog/checkpoint')).text, vkey);
    assert.ok(cp.size >= acked.size);
    const entries = await restarted.services.index.db.selectFrom('tlog_entries').select(['idx', 'body']).orderBy('idx').execute();
    assert.equal(entries.length, cp.size, 'one entry per index, none lost or duplicated');
    assert.deepEqual(naiveRoot(entries.map((e) => naiveLeaf(e.body))), cp.root);
    for (const [id, at] of loggedAt) {
      assert.equal(naiveLeaf((entries[at.logIndex] as { body: Buffer }).body).toString('hex'), at.rekorUuid, `log entry of ${id}`);
      const row = await restarted.services.repos.evidence.get(id);
      assert.equal(row?.logIndex, at.logIndex);
    }
  } finally {
    await restarted.stop();
  }
});
