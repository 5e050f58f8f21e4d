import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { AttestryError, ERROR_CODES, type ErrorCode } from '../core/errors.js';
import type { SignedContent } from './classify.js';
import { TimestampAuthority, type TsaSettings } from '../tlog/tsa.js';
import { verifyUpload, type CandidateKey, type VerifiedUpload } from './trust.js';
import type { VerifyReply, VerifyRequest } from './verify-protocol.js';

/**
 * Signature verification on worker threads. A signature check costs about
 * as much CPU as the rest of an upload together, and it is pure, so it is
 * the part worth moving off the event loop: the main thread keeps serving
 * HTTP, SQL and file I/O while another core verifies. With `threads: 0`
 * checks run inline (tests, single-core machines). With `tsa`, logged
 * uploads are timestamped there too (a token costs about one signature).
 */
export class VerifyPool {
  readonly threads: number;
  readonly #workers: { worker: Worker; busy: number }[] = [];
  readonly #pending = new Map<number, { resolve: (result: VerifiedUpload) => void; reject: (e: unknown) => void }>();
  #nextId = 0;
  #closed = false;
  readonly #tsaSettings: TsaSettings | undefined;
  #tsa: TimestampAuthority | undefined;

  constructor(options: { threads?: number; tsa?: TsaSettings | undefined } = {}) {
    this.threads = Math.max(0, options.threads ?? Math.max(1, availableParallelism() - 1));
    this.#tsaSettings = options.tsa;
  }

  #inlineTsa(): TimestampAuthority | undefined {
    if (this.#tsaSettings !== undefined) this.#tsa ??= new TimestampAuthority(this.#tsaSettings);
    return this.#tsa;
  }

  verify(
    content: SignedContent,
    keyHint: string | undefined,
    candidates: readonly CandidateKey[],
    withLogEntry = false,
  ): Promise<VerifiedUpload> {
    if (this.threads === 0 || this.#closed) {
      try {
        return Promise.resolve(verifyUpload(content, keyHint, candidates, withLogEntry, this.#inlineTsa()));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    const slot = this.#leastBusy();
    const id = this.#nextId++;
    const request: VerifyRequest = { id, content, keyHint, candidates, withLogEntry };
    return new Promise<VerifiedUpload>((resolve, reject) => {
      this.#pending.set(id, {
        resolve: (result) => {
          if (--slot.busy === 0) slot.worker.unref();
          resolve(result);
        },
        reject: (e) => {
          if (--slot.busy === 0) slot.worker.unref();
          reject(e);
        },
      });
      // Referenced only while it has work, so an idle pool never holds the process open.
      if (slot.busy++ === 0) slot.worker.ref();
      slot.worker.postMessage(request);
    });
  }

  #leastBusy(): { worker: Worker; busy: number } {
    while (this.#workers.length < this.threads) {
      const worker = new Worker(new URL('./verify-worker.js', import.meta.url), { workerData: { tsa: this.#tsaSettings } });
      worker.on('message', (reply: VerifyReply) => this.#settle(reply));
      // A dead worker leaves the pool (the next call starts a fresh one), and
      // whatever it held fails instead of waiting forever.
      const retire = (e: unknown): void => {
        const at = this.#workers.findIndex((w) => w.worker === worker);
        if (at >= 0) this.#workers.splice(at, 1);
        this.#failAll(e);
      };
      worker.on('error', retire);
      worker.on('exit', (code) => {
        if (!this.#closed) retire(new Error(`exited with code ${code}`));
      });
      // After the listeners: adding a 'message' listener refs the worker again.
      worker.unref();
      this.#workers.push({ worker, busy: 0 });
    }
    let best = this.#workers[0] as { worker: Worker; busy: number };
    for (const w of this.#workers) if (w.busy < best.busy) best = w;
    return best;
  }

  #settle(reply: VerifyReply): void {
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#pending.delete(reply.id);
    if (reply.ok)
      pending.resolve({
        keyId: reply.keyId,
        logEntry: reply.logEntry === undefined ? undefined : Buffer.from(reply.logEntry),
        timestamp: reply.timestamp === undefined ? undefined : Buffer.from(reply.timestamp),
      });
    else {
      const code: ErrorCode = reply.code in ERROR_CODES ? (reply.code as ErrorCode) : 'E_INTERNAL';
      pending.reject(new AttestryError(code, reply.message, reply.details ? { details: reply.details } : undefined));
    }
  }

  #failAll(e: unknown): void {
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      p.reject(new AttestryError('E_INTERNAL', `signature verification worker failed: ${e instanceof Error ? e.message : String(e)}`));
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#workers.map((w) => w.worker.terminate()));
    this.#workers.length = 0;
  }
}
