/**
 * Defect 8 and the read-only part of defect 9 (issue 12), on a real small
 * file system: a 4 MiB tmpfs (mounting needs root; the suite skips, saying
 * so, where mount is not permitted). A full disk is E_NO_SPACE (HTTP 507),
 * never "cannot rollback - no transaction is active"; a read-only one is
 * EROFS, never ENOENT; /readyz turns 503 as soon as the data directory stops
 * taking writes. `chmod` cannot simulate this: root writes through it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../../src/core/config.js';
import { AttestryError } from '../../src/core/errors.js';
import { startServer } from '../../src/server/serve.js';
import { openIndexDatabase } from '../../src/store/db/connect.js';
import { sqliteError } from '../../src/store/db/sqlite-errors.js';
import type { Signer } from '../../src/crypto/signer.js';
import { isRecord } from '../helpers/model.js';
import { signedStatement, startTestServer, type TestServer } from '../helpers/server.js';

const mountPoint = mkdtempSync(join(tmpdir(), 'attestry-tmpfs-'));
const mountSkip = ((): string | false => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint], { stdio: 'pipe' });
    return false;
  } catch (e) {
    rmSync(mountPoint, { recursive: true, force: true });
    return `cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN): ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`;
  }
})();

/**
 * Makes `dir` read-only by stacking a read-only bind mount of it on itself:
 * a plain `remount,ro` is refused (EBUSY) while the server holds files open
 * for writing, but new opens through the top mount get EROFS. Returns the undo.
 */
function readOnly(dir: string): () => void {
  execFileSync('mount', ['--bind', dir, dir]);
  try {
    execFileSync('mount', ['-o', 'remount,ro,bind', dir]);
  } catch (e) {
    execFileSync('umount', [dir]);
    throw e;
  }
  return () => execFileSync('umount', [dir]);
}

/** Writes zeros to `path` until the file system is full. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a full or read-only data directory', { skip: mountSkip }, () => {
  const dataDir = join(mountPoint, 'data');
  const filler = join(mountPoint, 'filler');
  let srv: TestServer;
  let signer: Signer;
  let token: string;
  before(async () => {
    srv = await startTestServer({ dataDir });
    await srv.addTenant('acme');
    signer = await srv.trustNewKey('acme', 'acme-key');
    token = await srv.token('signals-service', ['acme']);
  });
  after(async () => {
    if (mountSkip !== false) return;
    await srv?.stop().catch(() => undefined);
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  test('an upload on a full disk is 507 E_NO_SPACE, and /readyz is 503 until space is freed', async () => {
    assert.equal((await srv.request('GET', '/readyz')).status, 200);
    const first = await srv.request('POST', '/api/v1/attestations', { token, body: signedStatement(signer, 'a1'.repeat(32)) });
    assert.equal(first.status, 201, first.text);
    fillDisk(filler);
    await sleep(2_100); // the probe result is cached for 2 s
    const full = await srv.request('POST', '/api/v1/attestations', {
      token,
      body: signedStatement(signer, 'a2'.repeat(32), undefined, { pad: 'x'.repeat(64 * 1024) }),
    });
    assert.equal(full.status, 507, full.text);
    assert.ok(isRecord(full.json));
    assert.equal(full.json['code'], 'E_NO_SPACE');
    assert.doesNotMatch(String(full.json['message']), /rollback|no transaction/);
    assert.match(String(full.json['message']), /no space left|disk is full/);
    const ready = await srv.request('GET', '/readyz');
    assert.equal(ready.status, 503, ready.text);
    assert.match(ready.text, /"dataDir":"cannot write in .*no space left on the device \(ENOSPC\)/);
    // Reads still work on a full disk.
    assert.equal((await srv.request('GET', `/api/v1/attestations/${(first.json as { id: string }).id}`, { token })).status, 200);
    rmSync(filler);
    await sleep(2_100);
    assert.equal((await srv.request('GET', '/readyz')).status, 200);
    const again = await srv.request('POST', '/api/v1/attestations', { token, body: signedStatement(signer, 'a3'.repeat(32)) });
    assert.equal(again.status, 201, again.text);
  });

  test('/readyz is 503 naming EROFS when the data directory turns read-only', async () => {
    const undo = readOnly(dataDir);
    try {
      await sleep(2_100);
      const ready = await srv.request('GET', '/readyz');
      assert.equal(ready.status, 503, ready.text);
      assert.match(ready.text, /read-only \(EROFS\)/);
      const write = await srv.request('POST', '/api/v1/attestations', { token, body: signedStatement(signer, 'a4'.repeat(32)) });
      assert.ok(write.status >= 500, write.text);
      assert.doesNotMatch(write.text, /ENOENT|no such file|rollback/);
    } finally {
      undo();
    }
    await sleep(2_100);
    assert.equal((await srv.request('GET', '/readyz')).status, 200);
  });

  test('a start on a read-only data directory says read-only (EROFS), not ENOENT', async () => {
    await srv.stop();
    const undo = readOnly(mountPoint);
    try {
      for (const dir of [dataDir, join(mountPoint, 'new', 'data')]) {
        const config = loadConfig({ env: {}, dataDir: dir, port: 0 });
        await assert.rejects(
          () => startServer(config, { logLevel: 'silent' }),
          (e: unknown) =>
            e instanceof AttestryError &&
            e.code === 'E_IO' &&
            /read-only \(EROFS\)/.test(e.message) &&
            !/ENOENT|no such file/.test(e.message),
        );
      }
    } finally {
      undo();
    }
  });

  test('a start on a full disk is E_NO_SPACE or a server whose /readyz is 503, never E_INTERNAL', async () => {
    fillDisk(filler);
    try {
      const config = loadConfig({ env: {}, dataDir, port: 0 });
      let started: Awaited<ReturnType<typeof startServer>> | undefined;
      try {
        started = await startServer(config, { logLevel: 'silent' });
      } catch (e) {
        assert.ok(e instanceof AttestryError, String(e));
        assert.equal(e.code, 'E_NO_SPACE', e.message);
      }
      if (started !== undefined) {
        try {
          const r = await fetch(`${started.url}/readyz`);
          assert.equal(r.status, 503);
          assert.match(await r.text(), /ENOSPC/);
        } finally {
          await started.close();
        }
      }
    } finally {
      rmSync(filler, { force: true });
    }
  });

  test('SQLite: a failed write on a full disk keeps its own error (SQLITE_FULL), not the rollback that follows', async () => {
    const dir = join(mountPoint, 'sqlite');
    mkdirSync(dir);
    const index = await openIndexDatabase({ driver: 'sqlite', path: join(dir, 'x.sqlite') });
    try {
      await sql`create table t (v blob)`.execute(index.db);
      fillDisk(filler);
      let caught: unknown;
      try {
        await index.db.transaction().execute(async (trx) => {
          for (let i = 0; i < 64; i++) await sql`insert into t values (randomblob(65536))`.execute(trx);
        });
      } catch (e) {
        caught = e;
      }
      assert.ok(caught !== undefined, 'the write cannot succeed on a full disk');
      assert.doesNotMatch(String((caught as Error).message), /rollback/);
      const mapped = sqliteError(caught, 'write to', 'x.sqlite');
      assert.equal(mapped.code, 'E_NO_SPACE', mapped.message);
      assert.equal(mapped.httpStatus, 507);
    } finally {
      rmSync(filler, { force: true });
      await index.close();
    }
  });
});
