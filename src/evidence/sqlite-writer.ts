import { AttestryError } from '../core/errors.js';
import { WorkerPool } from '../core/worker-rpc.js';
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

/** One batch for the writer thread (carried by core/worker-rpc); the reply is its InsertOutcome[]. */
export type WriterRequest = { readonly records: readonly EvidenceRecord[] };

/**
 * SQLite evidence writes on their own thread. better-sqlite3 is synchronous,
 * so on the event loop every commit (B-tree updates, WAL write, fsync) would
 * stall HTTP work; SQLite has one writer at a time anyway, so one thread with
 * its own connection loses nothing. Reads stay on the main connection: WAL
 * lets them see each commit as soon as the writer replies.
 */
export class SqliteEvidenceWriter implements EvidenceWriter {
  /** One thread: started on first use and again after a crash, so one failure does not wedge every later write. */
  readonly #thread: WorkerPool<WriterRequest, InsertOutcome[]>;

  constructor(path: string, log?: WriterLogSettings) {
    this.#thread = new WorkerPool({
      // From the folder's parent: the bundled CLI (scripts/bundle-cli.mjs) runs this code from dist/src/cli/.
      script: new URL('../evidence/sqlite-writer-worker.js', import.meta.url),
      workerData: { path, log },
      size: 1,
      name: 'SQLite writer thread',
    });
  }

  insertBatch(records: readonly EvidenceRecord[]): Promise<InsertOutcome[]> {
    if (this.#thread.closed) return Promise.reject(new AttestryError('E_UNAVAILABLE', 'the index writer is closed'));
    return this.#thread.call({ records });
  }

  async close(): Promise<void> {
    await this.#thread.close();
  }
}
