/**
 * The log's storage and sequencer against each real back end (SQLite file,
 * PostgreSQL schema): appends, checkpoints, tiles, proofs, rollback, and
 * concurrent appenders. Roots are checked with a naive MTH over the stored
 * entries, not with the log's own code.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { IndexDatabase } from '../../src/store/db/connect.js';
import { EvidenceRepo, type EvidenceRecord } from '../../src/store/db/evidence-repo.js';
import { TenantsRepo } from '../../src/store/db/tenants-repo.js';
import { openCheckpoint } from '../../src/tlog/checkpoint.js';
import { LogReader } from '../../src/tlog/log-reader.js';
import { LogSequencer } from '../../src/tlog/log-store.js';
import { verifyConsistency, verifyInclusion } from '../../src/tlog/merkle.js';
import { NoteSigner, parseVerifierKey } from '../../src/tlog/note.js';
import { TILE_WIDTH } from '../../src/tlog/tiles.js';
import { backends, type FreshDatabase } from '../helpers/databases.js';
import { naiveLeaf, naiveRoot } from './naive.js';

const ORIGIN = 'test.example/log';
const newSigner = (): NoteSigner => new NoteSigner(ORIGIN, generateKeyPairSync('ed25519').privateKey);
const body = (i: number): Buffer => Buffer.from(JSON.stringify({ entry: i, salt: randomBytes(4).toString('hex') }));

for (const backend of await backends()) {
  describe(`transparency log on ${backend.name}`, { skip: backend.skip }, () => {
    let fresh: FreshDatabase;
    let index: IndexDatabase;
    let signer: NoteSigner;
    let sequencer: LogSequencer;
    let reader: LogReader;
    const bodies: Buffer[] = [];
    const checkpoints: string[] = [];

    before(async () => {
      fresh = await backend.fresh();
      index = await fresh.open();
      await index.migrate();
      signer = newSigner();
      sequencer = new LogSequencer(signer, index.driver);
      reader = new LogReader(index.db);
    });
    after(async () => {
      await index?.close();
      await fresh?.cleanup();
    });

    const append = async (n: number): Promise<number> => {
      const batch = Array.from({ length: n }, (_, i) => body(bodies.length + i));
      const out = await index.db.transaction().execute((trx) => sequencer.append(trx, batch));
      assert.equal(out.first, bodies.length, 'appends land right after the previous ones');
      bodies.push(...batch);
      checkpoints.push(out.checkpoint);
      return out.first;
    };

    it('starts empty with a signed checkpoint of size 0', async () => {
      const note = await sequencer.initialize(index.db);
      const cp = openCheckpoint(note, parseVerifierKey(signer.verifierKey));
      assert.equal(cp.size, 0);
      assert.deepEqual(cp.root, naiveRoot([]));
      assert.equal((await reader.state()).checkpoint, note);
      // Initialising again keeps the same checkpoint.
      assert.equal(await sequencer.initialize(index.db), note);
    });

    it('appends batches across tile boundaries; every checkpoint is signed and matches a naive MTH of the entries', async () => {
      for (const n of [1, 254, 1, 1, 300, 3, 256, 211]) {
        await append(n);
        const cp = openCheckpoint(checkpoints.at(-1) as string, parseVerifierKey(signer.verifierKey));
        assert.equal(cp.size, bodies.length);
        assert.deepEqual(cp.root, naiveRoot(bodies.map(naiveLeaf)), `root at size ${bodies.length}`);
        const state = await reader.state();
        assert.equal(state.size, bodies.length);
        assert.equal(state.checkpoint, checkpoints.at(-1));
      }
      assert.equal(bodies.length, 1027);
    });

    it('serves entries, full and partial tiles, and entry bundles consistent with the entries', async () => {
      const e = await reader.entry(700);
      assert.ok(e);
      assert.deepEqual(e.body, bodies[700]);
      assert.deepEqual(e.leafHash, naiveLeaf(bodies[700] as Buffer));
      assert.equal(await reader.entry(bodies.length), undefined);
      const full = await reader.tile(0, 1, TILE_WIDTH);
      assert.ok(full);
      assert.deepEqual(full, Buffer.concat(bodies.slice(256, 512).map(naiveLeaf)));
      // Size 1027: level 0 has 4 full tiles and a partial of 3; level 1 a partial of 4.
      assert.equal(await reader.tile(0, 4, 4), undefined, 'no partial wider than the tree');
      assert.deepEqual(await reader.tile(0, 4, 3), Buffer.concat(bodies.slice(1024, 1027).map(naiveLeaf)));
      assert.deepEqual(
        await reader.tile(1, 0, 4),
        Buffer.concat([0, 1, 2, 3].map((t) => naiveRoot(bodies.slice(t * 256, (t + 1) * 256).map(naiveLeaf)))),
      );
      assert.equal(await reader.tile(1, 0, 5), undefined);
      // A narrower partial is a prefix: what a client that saw an older checkpoint asks for.
      assert.deepEqual(await reader.tile(0, 4, 1), naiveLeaf(bodies[1024] as Buffer));
      const bundle = await reader.entryBundle(1, TILE_WIDTH);
      assert.ok(bundle);
      let at = 0;
      for (let i = 256; i < 512; i++) {
        const len = bundle.readUInt16BE(at);
        assert.deepEqual(bundle.subarray(at + 2, at + 2 + len), bodies[i]);
        at += 2 + len;
      }
      assert.equal(at, bundle.length);
      assert.equal(await reader.entryBundle(4, 4), undefined);
    });

    it('gives inclusion proofs that verify for every index at several sizes, and finds entries by leaf hash', async () => {
      for (const size of [1, 2, 255, 256, 257, 512, 1000, bodies.length]) {
        const root = naiveRoot(bodies.slice(0, size).map(naiveLeaf));
        assert.deepEqual(await reader.root(size), root);
        for (const i of [0, Math.floor(size / 2), size - 1]) {
          const proof = await reader.inclusion(i, size);
          assert.deepEqual(proof.rootHash, root);
          verifyInclusion(i, size, naiveLeaf(bodies[i] as Buffer), proof.hashes, root);
        }
      }
      assert.equal(await reader.findLeaf(naiveLeaf(bodies[513] as Buffer), bodies.length), 513);
      assert.equal(await reader.findLeaf(naiveLeaf(bodies[513] as Buffer), 513), undefined, 'not in a tree that ends before it');
      assert.equal(await reader.findLeaf(randomBytes(32), bodies.length), undefined);
      await assert.rejects(reader.inclusion(5, bodies.length + 1), { code: 'E_NOT_FOUND' });
      await assert.rejects(reader.inclusion(bodies.length, bodies.length), { code: 'E_INVALID_INPUT' });
    });

    it('gives consistency proofs between every pair of published checkpoints', async () => {
      const key = parseVerifierKey(signer.verifierKey);
      const cps = checkpoints.map((c) => openCheckpoint(c, key));
      for (const a of cps) {
        for (const b of cps) {
          if (a.size > b.size) continue;
          verifyConsistency(a.size, b.size, await reader.consistency(a.size, b.size), a.root, b.root);
        }
      }
    });

    it('rolls back with its transaction: a failed batch leaves no entry, tile or checkpoint behind', async () => {
      const before = await reader.state();
      await assert.rejects(
        index.db.transaction().execute(async (trx) => {
          await sequencer.append(trx, [body(1), body(2)]);
          throw new Error('the evidence insert failed');
        }),
        /evidence insert failed/,
      );
      const afterState = await reader.state();
      assert.equal(afterState.size, before.size);
      assert.equal(afterState.checkpoint, before.checkpoint);
      assert.equal(await reader.entry(before.size), undefined);
      assert.equal(await reader.tile(0, 4, 4), undefined);
    });

    it('refuses to start with another log key than the one that signed the log', async () => {
      const stranger = new LogSequencer(new NoteSigner(ORIGIN, generateKeyPairSync('ed25519').privateKey), index.driver);
      await assert.rejects(stranger.initialize(index.db), { code: 'E_CONFIG', message: /same log key/ });
      assert.equal((await reader.state()).checkpoint, checkpoints.at(-1), 'the stored checkpoint is untouched');
    });

    it('refuses to sign for another origin once entries exist', async () => {
      const other = new LogSequencer(new NoteSigner('other.example/log', generateKeyPairSync('ed25519').privateKey), index.driver);
      await assert.rejects(
        index.db.transaction().execute((trx) => other.append(trx, [body(9)])),
        { code: 'E_CONFIG' },
      );
    });

    // SQLite has one writer, and better-sqlite3 blocks its thread while it
    // waits for the lock, so two connections in one thread would deadlock;
    // the service gives SQLite a single writer thread. PostgreSQL nodes race.
    it(
      'concurrent appenders on separate connections get dense, distinct indices and one consistent tree',
      { skip: backend.name === 'SQLite' ? 'one writer per SQLite database (see the writer thread)' : false },
      async () => {
        const extra = await fresh.open();
        const seq2 = new LogSequencer(signer, extra.driver);
        const start = (await reader.state()).size;
        const mine: Buffer[][] = [];
        const jobs = Array.from({ length: 12 }, (_, j) => {
          const batch = Array.from({ length: 1 + (j % 5) * 7 }, (_, i) => body(10_000 + j * 100 + i));
          mine.push(batch);
          const db = j % 2 === 0 ? index.db : extra.db;
          const seq = j % 2 === 0 ? sequencer : seq2;
          return db.transaction().execute((trx) => seq.append(trx, batch));
        });
        const outs = await Promise.all(jobs);
        await extra.close();
        const spans = outs.map((o, j) => [o.first, o.first + (mine[j] as Buffer[]).length] as const).sort((a, b) => a[0] - b[0]);
        let next = start;
        for (const [from, to] of spans) {
          assert.equal(from, next, 'no gap and no overlap between concurrent batches');
          next = to;
        }
        const state = await reader.state();
        assert.equal(state.size, next);
        const stored: Buffer[] = [];
        for (let i = 0; i < state.size; i++) stored.push((await reader.entry(i))?.body as Buffer);
        assert.deepEqual(state.root, naiveRoot(stored.map(naiveLeaf)));
        outs.forEach((o, j) => (mine[j] as Buffer[]).forEach((b, i) => assert.deepEqual(stored[o.first + i], b)));
      },
    );

    it('EvidenceRepo.insertBatch appends new records in its transaction; duplicates keep their index; failures append nothing', async () => {
      const tenants = new TenantsRepo(index.db);
      await tenants.add('acme', null, new Date());
      const repo = new EvidenceRepo(index.db);
      const record = (content: string, tenant = 'acme'): EvidenceRecord => ({
        id: `01J${randomBytes(12)
          .toString('hex')
          .toUpperCase()
          .replace(/[ILOU]/g, 'A')
          .slice(0, 23)}`,
        tenant,
        kind: 'attestations',
        mediaType: 'application/vnd.dsse.envelope.v1+json',
        payloadType: 'application/vnd.in-toto+json',
        predicateType: null,
        blobKey: `attestations/${content}.dsse`,
        digest: `sha256:${Buffer.from(naiveLeaf(Buffer.from(content))).toString('hex')}`,
        size: content.length,
        principal: 'signals-service',
        signerKeyId: 'k1',
        createdAt: new Date().toISOString(),
        subjects: [],
        logEntry: Buffer.from(`entry for ${content}`),
      });
      const hook = (trx: Parameters<LogSequencer['append']>[0], entries: readonly Uint8Array[]) => sequencer.append(trx, entries);
      const start = (await reader.state()).size;
      const a = record('a');
      const b = record('b');
      const out = await repo.insertBatch([a, b, record('a')], hook);
      assert.deepEqual(out, [
        { id: a.id, created: true, logIndex: start },
        { id: b.id, created: true, logIndex: start + 1 },
        { id: a.id, created: false, logIndex: start },
      ]);
      assert.equal((await repo.get(b.id))?.logIndex, start + 1);
      assert.deepEqual((await reader.entry(start + 1))?.body, Buffer.from('entry for b'));
      assert.deepEqual(await repo.insertBatch([record('b')], hook), [{ id: b.id, created: false, logIndex: start + 1 }]);
      // An unknown tenant violates a foreign key: the whole batch, log entries included, rolls back.
      await assert.rejects(repo.insertBatch([record('c'), record('d', 'nobody')], hook));
      assert.equal((await reader.state()).size, start + 2);
    });
  });
}
