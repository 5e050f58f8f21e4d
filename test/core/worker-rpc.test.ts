/** core/worker-rpc with real worker threads (test/core/rpc-test-worker.ts), and the WireError it carries. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { expectRejects } from '../helpers/model.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttestryError, fromWire, toWire, type ErrorCode } from '../../src/core/errors.js';
import { WorkerPool } from '../../src/core/worker-rpc.js';
import type { TestRequest } from './rpc-test-worker.js';

const SCRIPT = new URL('./rpc-test-worker.js', import.meta.url);

function pool(size: number): WorkerPool<TestRequest, unknown, number> {
  return new WorkerPool<TestRequest, unknown, number>({ script: SCRIPT, size, name: 'test worker' });
}

const rejectsWith = (promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<AttestryError> =>
  expectRejects(promise, code, ...(message === undefined ? [] : [message]));

/** Runs `code` (an ES module) in a child node process; resolves with its exit code, stdout and how long it ran. */
function runChild(code: string, timeoutMs = 20_000): Promise<{ exit: number | null; stdout: string; ms: number }> {
  // A file, not --eval: workers inherit the parent's execArgv, and --input-type would break them.
  const dir = mkdtempSync(join(tmpdir(), 'attestry-rpc-child-'));
  const file = join(dir, 'child.mjs');
  writeFileSync(file, code);
  const started = Date.now();
  const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('exit', (exit) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      resolve({ exit, stdout, ms: Date.now() - started });
    }),
  );
}

describe('WorkerPool', () => {
  test('concurrent calls each get their own reply, spread over the least busy workers', async (t) => {
    const p = pool(3);
    t.after(() => p.close());
    const values = Array.from({ length: 30 }, (_, i) => ({ i, text: `value ${i}` }));
    const replies = await Promise.all(values.map((value, i) => p.call({ op: 'echo', value, delayMs: (i * 7) % 23 })));
    assert.deepEqual(replies, values);
    // Three calls in flight at once land on three different workers.
    const threads = await Promise.all([0, 1, 2].map(() => p.call({ op: 'thread', delayMs: 50 })));
    assert.equal(new Set(threads).size, 3, `thread ids ${threads.join(', ')}`);
    assert.equal(p.busy(0) + p.busy(1) + p.busy(2), 0);
  });

  test('a call can be sent to a given worker', async (t) => {
    const p = pool(2);
    t.after(() => p.close());
    const first = await p.call({ op: 'thread' }, { worker: 1 });
    const again = await p.call({ op: 'thread' }, { worker: 1 });
    const other = await p.call({ op: 'thread' }, { worker: 0 });
    assert.equal(first, again);
    assert.notEqual(first, other);
    await rejectsWith(p.call({ op: 'thread' }, { worker: 2 }), 'E_INTERNAL', /no test worker 2 in a pool of 2/);
  });

  test('events reach the caller in order, before the result', async (t) => {
    const p = pool(1);
    t.after(() => p.close());
    const seen: number[] = [];
    const result = await p.call({ op: 'events', count: 5 }, { onEvent: (e) => seen.push(e) });
    assert.deepEqual(seen, [0, 1, 2, 3, 4]);
    assert.equal(result, 5);
  });

  test('a worker that exits mid-call rejects the calls it held; the next call gets a fresh worker', async (t) => {
    const p = pool(1);
    t.after(() => p.close());
    const before = await p.call({ op: 'thread' });
    const held = p.call({ op: 'echo', value: 'never', delayMs: 5_000 });
    const dying = p.call({ op: 'exit', code: 3, afterMs: 20 });
    await rejectsWith(dying, 'E_INTERNAL', /^test worker failed: exited with code 3$/);
    await rejectsWith(held, 'E_INTERNAL', /exited with code 3/);
    const after = await p.call({ op: 'thread' });
    assert.notEqual(after, before, 'a new worker answered');
    assert.equal(await p.call({ op: 'echo', value: 'ok' }), 'ok');
  });

  test('an uncaught exception in a worker fails its calls with that message, and it is replaced', async (t) => {
    const p = pool(2);
    t.after(() => p.close());
    const other = p.call({ op: 'echo', value: 'other worker', delayMs: 300 }, { worker: 1 });
    await rejectsWith(
      p.call({ op: 'crash', message: 'boom in worker' }, { worker: 0 }),
      'E_INTERNAL',
      /test worker failed: boom in worker/,
    );
    assert.equal(await other, 'other worker', 'the other worker and its call are untouched');
    assert.equal(await p.call({ op: 'echo', value: 1 }, { worker: 0 }), 1);
  });

  test('E_UNAVAILABLE as the death code, for pools whose callers retry', async (t) => {
    const p = new WorkerPool<TestRequest, unknown, number>({ script: SCRIPT, size: 1, name: 'test worker', deathCode: 'E_UNAVAILABLE' });
    t.after(() => p.close());
    await rejectsWith(p.call({ op: 'exit', code: 1 }), 'E_UNAVAILABLE', /exited with code 1/);
  });

  test('errors keep code, message and details across the thread; other throws are E_INTERNAL', async (t) => {
    const p = pool(1);
    t.after(() => p.close());
    const e = await rejectsWith(
      p.call({
        op: 'fail',
        code: 'E_DIGEST_MISMATCH',
        message: 'digest differs',
        details: { path: 'a/b', sizes: [1, 2], nested: { ok: true } },
      }),
      'E_DIGEST_MISMATCH',
    );
    assert.equal(e.message, 'digest differs');
    assert.deepEqual(e.details, { path: 'a/b', sizes: [1, 2], nested: { ok: true } });
    assert.equal(e.exitCode, 2);
    const plain = await rejectsWith(p.call({ op: 'throw-plain', message: 'plain failure' }), 'E_INTERNAL');
    assert.equal(plain.message, 'plain failure');
    assert.equal(plain.details, undefined);
    // A code the main thread does not know (a newer worker, a hostile peer) is E_INTERNAL.
    await rejectsWith(p.call({ op: 'fail', code: 'E_FROM_THE_FUTURE', message: 'x' }), 'E_INTERNAL');
  });

  test('transferred buffers move to the worker', async (t) => {
    const p = pool(1);
    t.after(() => p.close());
    const buffer = new ArrayBuffer(1024);
    assert.equal(await p.call({ op: 'bytes', buffer }, { transfer: [buffer] }), 1024);
    assert.equal(buffer.byteLength, 0, 'detached on this side');
    const copied = new ArrayBuffer(16);
    assert.equal(await p.call({ op: 'bytes', buffer: copied }), 16);
    assert.equal(copied.byteLength, 16, 'copied when not transferred');
  });

  test('close refuses new calls and fails the ones in flight with E_UNAVAILABLE', async () => {
    const p = pool(2);
    assert.equal(await p.call({ op: 'echo', value: 1 }), 1);
    const inFlight = p.call({ op: 'echo', value: 'late', delayMs: 5_000 });
    await p.close();
    assert.equal(p.closed, true);
    await rejectsWith(inFlight, 'E_UNAVAILABLE', /closed before this call finished/);
    await rejectsWith(p.call({ op: 'echo', value: 2 }), 'E_UNAVAILABLE', /pool is closed/);
    await p.close(); // twice is harmless
  });

  test('a request that cannot be cloned is refused, and the pool goes on', async (t) => {
    const p = pool(1);
    t.after(() => p.close());
    await rejectsWith(p.call({ op: 'echo', value: () => 1 }), 'E_INTERNAL', /cannot send a request to the test worker/);
    assert.equal(p.busy(0), 0);
    assert.equal(await p.call({ op: 'echo', value: 'still here' }), 'still here');
  });

  test('a pool of 0 workers is refused', () => {
    assert.throws(
      () => pool(0),
      (e: unknown) => e instanceof AttestryError && e.code === 'E_USAGE',
    );
  });

  test('an idle pool does not keep the process alive; a busy one does until its reply', async () => {
    const imports = `import { WorkerPool } from ${JSON.stringify(new URL('../../src/core/worker-rpc.js', import.meta.url).href)};
      const p = new WorkerPool({ script: new URL(${JSON.stringify(SCRIPT.href)}), size: 2, name: 'test worker' });`;
    // Used, then left open: the process exits by itself.
    const idle = await runChild(`${imports}
      console.log(await p.call({ op: 'echo', value: 'used' }));`);
    assert.equal(idle.exit, 0);
    assert.equal(idle.stdout.trim(), 'used');
    // Nothing but an unanswered call keeps the event loop going: the process waits for the reply.
    const busy = await runChild(`${imports}
      p.call({ op: 'echo', value: 'answered', delayMs: 400 }).then((v) => console.log(v));`);
    assert.equal(busy.exit, 0);
    assert.equal(busy.stdout.trim(), 'answered', 'the process stayed for the reply');
  });
});

describe('toWire / fromWire', () => {
  test('round trip keeps code, message and plain details', () => {
    const e = new AttestryError('E_NOT_FOUND', 'no blob', { details: { key: 'k', n: 1, list: ['a'], none: null } });
    const back = fromWire(JSON.parse(JSON.stringify(toWire(e))));
    assert.equal(back.code, 'E_NOT_FOUND');
    assert.equal(back.message, 'no blob');
    assert.deepEqual(back.details, { key: 'k', n: 1, list: ['a'], none: null });
  });

  test('details that are not plain JSON are dropped, not half sent', () => {
    class Custom {
      readonly tag = 'custom';
    }
    for (const details of [{ when: new Date(0) }, { custom: new Custom() }, { bytes: Buffer.from('x') }, { n: Number.NaN }]) {
      const wire = toWire(new AttestryError('E_IO', 'x', { details }));
      assert.deepEqual(wire, { code: 'E_IO', message: 'x' });
    }
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 40; i++) at = (at['next'] = {}) as Record<string, unknown>;
    assert.equal(toWire(new AttestryError('E_IO', 'x', { details: deep })).details, undefined);
  });

  test('anything else thrown is E_INTERNAL; unknown and inherited codes are E_INTERNAL; junk is an error too', () => {
    assert.deepEqual(toWire(new TypeError('bad type')), { code: 'E_INTERNAL', message: 'bad type' });
    assert.deepEqual(toWire('a string'), { code: 'E_INTERNAL', message: 'a string' });
    assert.equal(fromWire({ code: 'E_NOPE', message: 'm' }).code, 'E_INTERNAL');
    assert.equal(fromWire({ code: 'toString', message: 'm' }).code, 'E_INTERNAL');
    assert.equal(fromWire({ code: 'E_FORBIDDEN', message: 'm' }).code, 'E_FORBIDDEN');
    const junk = fromWire(42);
    assert.equal(junk.code, 'E_INTERNAL');
    assert.match(junk.message, /malformed error reply: 42/);
    assert.equal(fromWire({ code: 'E_IO', message: 'm', details: [1, 2] }).details, undefined);
  });
});
