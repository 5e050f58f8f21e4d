/** A tiny worker for test/core/worker-rpc.test.ts: echo, fail, die, emit events. */
import { isMainThread, threadId } from 'node:worker_threads';
import { AttestryError, type ErrorCode } from '../../src/core/errors.js';
import { serveWorkerRpc } from '../../src/core/worker-serve.js';

export type TestRequest =
  | { op: 'echo'; value: unknown; delayMs?: number }
  | { op: 'thread'; delayMs?: number }
  | { op: 'fail'; code: string; message: string; details?: Record<string, unknown> }
  | { op: 'throw-plain'; message: string }
  | { op: 'exit'; code: number; afterMs?: number }
  | { op: 'crash'; message: string }
  | { op: 'events'; count: number }
  | { op: 'bytes'; buffer: ArrayBuffer };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// `node --test dist/test/` loads every file under test/; only a worker serves.
if (!isMainThread) {
  serveWorkerRpc<TestRequest, unknown, number>(async (request, context) => {
    switch (request.op) {
      case 'echo':
        await sleep(request.delayMs ?? 0);
        return request.value;
      case 'thread':
        await sleep(request.delayMs ?? 0);
        return threadId;
      case 'fail':
        throw new AttestryError(request.code as ErrorCode, request.message, request.details ? { details: request.details } : undefined);
      case 'throw-plain':
        throw new Error(request.message);
      case 'exit':
        setTimeout(() => process.exit(request.code), request.afterMs ?? 0);
        return new Promise(() => undefined);
      case 'crash':
        setTimeout(() => {
          throw new Error(request.message);
        }, 0);
        return new Promise(() => undefined);
      case 'events':
        for (let i = 0; i < request.count; i++) context.emit(i);
        return request.count;
      case 'bytes':
        return request.buffer.byteLength;
    }
  });
}
