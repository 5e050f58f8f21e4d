/**
 * Real processes: two appenders on one PostgreSQL produce one log with no
 * fork, gap or duplicate; a SIGKILL in the middle of appends (SQLite and
 * PostgreSQL) loses no acknowledged entry and leaves tree, entries and
 * checkpoint in agreement, and appending resumes where the log ends.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import type { DatabaseSettings, IndexDatabase } from '../../src/store/db/connect.js';
import { openCheckpoint } from '../../src/tlog/checkpoint.js';
import { LogReader } from '../../src/tlog/log-reader.js';
import { LogSequencer } from '../../src/tlog/log-store.js';
import { NoteSigner, parseVerifierKey } from '../../src/tlog/note.js';
import { backends } from '../helpers/databases.js';
import { naiveLeaf, naiveRoot } from './naive.js';

const ORIGIN = 'procs.example/log';
const CHILD = new URL('./append-child.js', import.meta.url);

interface Child {
  readonly proc: ChildProcess;
  readonly acks: [number, number][];
  readonly done: Promise<number | null>;
  readonly stderr: () => string;
}

function startChild(settings: DatabaseSettings, keyPem: string, tag: string, batches: number, batchSize: number): Child {
  const proc = spawn(process.execPath, [CHILD.pathname], {
    env: { ...process.env, ATTESTRY_APPEND_CHILD: JSON.stringify({ settings, keyPem, origin: ORIGIN, tag, batches, batchSize }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acks: [number, number][] = [];
  let buffered = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const l of lines) {
      const m = /^ack (\d+) (\d+)$/.exec(l);
      if (m) acks.push([Number(m[1]), Number(m[2])]);
    }
  });
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, acks, done, stderr: () => err };
}

/** Reads the whole log back and checks it against a naive MTH; returns the entry bodies. */
async function checkWholeLog(index: IndexDatabase, vkey: string): Promise<string[]> {
  const reader = new LogReader(index.db);
  const state = await reader.state();
  const rows = await index.db.selectFrom('tlog_entries').select(['idx', 'body']).orderBy('idx').execute();
  assert.equal(rows.length, state.size, 'one entry per index, no more');
  rows.forEach((r, i) => assert.equal(Number(r.idx), i, 'indices are dense'));
  const bodies = rows.map((r) => Buffer.from(r.body));
  const root = naiveRoot(bodies.map(naiveLeaf));
  assert.deepEqual(state.root, root, 'stored root = MTH of the stored entries');
  const cp = openCheckpoint(state.checkpoint, parseVerifierKey(vkey));
  assert.equal(cp.size, state.size, 'the checkpoint is for the current size');
  assert.deepEqual(cp.root, root);
  assert.deepEqual(await reader.root(state.size), root, 'the tiles agree');
  // Every checkpoint ever published is a prefix of today's log: no fork, no rollback.
  const history = await index.db.selectFrom('tlog_checkpoints').select(['size', 'note']).orderBy('size').execute();
  for (const h of history) {
    const old = openCheckpoint(h.note, parseVerifierKey(vkey));
    assert.equal(old.size, Number(h.size));
    assert.deepEqual(old.root, naiveRoot(bodies.slice(0, old.size).map(naiveLeaf)), `checkpoint ${old.size} is a prefix`);
  }
  const texts = bodies.map((b) => b.toString());
  assert.equal(new Set(texts).size, texts.length, 'no entry appended twice');
  return texts;
}

for (const backend of await backends()) {
  describe(`log appenders in separate processes on ${backend.name}`, { skip: backend.skip }, () => {
    const keyPem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const signer = new NoteSigner(ORIGIN, keyPem);

    it(
      'two processes appending at once make one consistent log',
      { skip: backend.name === 'SQLite' ? 'several nodes share PostgreSQL; SQLite is one node' : false, timeout: 120_000 },
      async () => {
        const fresh = await backend.fresh();
        const index = await fresh.open();
        try {
          await index.migrate();
          const a = startChild(fresh.settings, keyPem, 'A', 40, 25);
          const b = startChild(fresh.settings, keyPem, 'B', 40, 25);
          assert.equal(await a.done, 0, a.stderr());
          assert.equal(await b.done, 0, b.stderr());
          const texts = await checkWholeLog(index, signer.verifierKey);
          const spans = [...a.acks, ...b.acks].sort((x, y) => x[0] - y[0]);
          let next = 0;
          for (const [first, n] of spans) {
            assert.equal(first, next, 'batches from both processes tile the log exactly');
            next += n;
          }
          assert.equal(next, texts.length);
          for (const [first, n] of a.acks) for (let i = 0; i < n; i++) assert.match(texts[first + i] as string, /^A:/);
          for (const [first, n] of b.acks) for (let i = 0; i < n; i++) assert.match(texts[first + i] as string, /^B:/);
        } finally {
          await index.close();
          await fresh.cleanup();
        }
      },
    );

    it('kill -9 during appends loses no acknowledged entry and leaves the log consistent', { timeout: 120_000 }, async () => {
      const fresh = await backend.fresh();
      const index = await fresh.open();
      try {
        await index.migrate();
        const child = startChild(fresh.settings, keyPem, 'K', 0, 64);
        const deadline = Date.now() + 60_000;
        while (child.acks.length < 40 && Date.now() < deadline && child.proc.exitCode === null) await new Promise((r) => setTimeout(r, 20));
        assert.ok(child.acks.length >= 40, `the child acknowledged ${child.acks.length} batches: ${child.stderr()}`);
        child.proc.kill('SIGKILL');
        await child.done;
        const acked = [...child.acks];
        const texts = await checkWholeLog(index, signer.verifierKey);
        const [lastFirst, lastN] = acked.at(-1) as [number, number];
        assert.ok(texts.length >= lastFirst + lastN, `acknowledged up to ${lastFirst + lastN}, log has ${texts.length}`);
        for (const [first, n] of acked) for (let i = 0; i < n; i++) assert.match(texts[first + i] as string, /^K:/);
        // After the crash, a new appender continues exactly where the log ends.
        const seq = new LogSequencer(signer, index.driver);
        const out = await index.db.transaction().execute((trx) => seq.append(trx, [Buffer.from('after the crash')]));
        assert.equal(out.first, texts.length);
        await checkWholeLog(index, signer.verifierKey);
      } finally {
        await index.close();
        await fresh.cleanup();
      }
    });
  });
}
