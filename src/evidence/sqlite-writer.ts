import { Worker } from 'node:worker_threads';
import { AttestryError, ERROR_CODES, type ErrorCode } from '../core/errors.js';
import type { EvidenceRecord, EvidenceRepo, InsertOutcome } from '../store/db/evidence-repo.js';
import type { LogSequencer } from '../tlog/log-store.js';

/** What the evidence locker commits batches through. */
export interface EvidenceWriter {
  insertBatch(records: readonly EvidenceRecord[]): Promise<InsertOutcome[]>;
  close?(): Promise<void>;
}

/** Commits on the caller's connection (PostgreSQL, in-memory SQLite), appending to the log when there is one. */
export function directWriter(repo: EvidenceRepo, sequencer: LogSequencer | undefined): EvidenceWriter {
  return {
    insertBatch: (records) =>
      repo.insertBatch(records, sequencer === undefined ? undefined : (trx, entries) => sequencer.append(trx, entries)),
  };
}

/** What the writer thread needs to sequence the log itself: the note key never leaves the process. */
export interface WriterLogSettings {
  readonly origin: string;
  readonly privateKeyPem: string;
}

export type WriterRequest = { readonly id: number; readonly records: readonly EvidenceRecord[] };
export type WriterReply =
  | { readonly id: number; readonly ok: true; readonly outcomes: InsertOutcome[] }
  | { readonly id: number; readonly ok: false; readonly code: string; readonly message: string };

/**
 * SQLite evidence writes on their own thread. better-sqlite3 is synchronous,
 * so on the event loop every commit (B-tree updates, WAL write, fsync) would
 * stall HTTP work; SQLite has one writer at a time anyway, so one thread with
 * its own connection loses nothing. Reads stay on the main connection: WAL
 * lets them see each commit as soon as the writer replies.
 */
export class SqliteEvidenceWriter implements EvidenceWriter {
  readonly #path: string;
  readonly #log: WriterLogSettings | undefined;
  readonly #pending = new Map<number, { resolve: (o: InsertOutcome[]) => void; reject: (e: unknown) => void }>();
  #worker: Worker | undefined;
  #nextId = 0;
  #closed = false;

  constructor(path: string, log?: WriterLogSettings) {
    this.#path = path;
    this.#log = log;
  }

  /** Started on first use and again after a crash, so one failure does not wedge every later write. */
  #ensureWorker(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(new URL('./sqlite-writer-worker.js', import.meta.url), { workerData: { path: this.#path, log: this.#log } });
    worker.on('message', (reply: WriterReply) => {
      const pending = this.#pending.get(reply.id);
      if (pending === undefined) return;
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) worker.unref();
      if (reply.ok) pending.resolve(reply.outcomes);
      else pending.reject(new AttestryError(reply.code in ERROR_CODES ? (reply.code as ErrorCode) : 'E_INTERNAL', reply.message));
    });
    const retire = (why: string): void => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const [id, p] of this.#pending) {
        this.#pending.delete(id);
        p.reject(new AttestryError('E_INTERNAL', `SQLite writer thread failed: ${why}`));
      }
    };
    worker.on('error', (e) => retire(e.message));
    worker.on('exit', (code) => {
      if (!this.#closed) retire(`exited with code ${code}`);
    });
    // After the listeners: adding a 'message' listener refs the worker again.
    worker.unref();
    this.#worker = worker;
    return worker;
  }

  insertBatch(records: readonly EvidenceRecord[]): Promise<InsertOutcome[]> {
    if (this.#closed) return Promise.reject(new AttestryError('E_UNAVAILABLE', 'the index writer is closed'));
    const worker = this.#ensureWorker();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      // Referenced only while a batch is in flight, so it never holds the process open.
      if (this.#pending.size === 0) worker.ref();
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, records } satisfies WriterRequest);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#worker?.terminate();
    this.#worker = undefined;
  }
}
