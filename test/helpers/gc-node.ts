/**
 * A second "node" for the concurrent GC tests: a worker thread with its own
 * database connection and blob store handle, running one GC and posting its
 * report. SQLite's busy waits block only this thread, as they would block
 * only another process.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { collectOrphanBlobs } from '../../src/evidence/gc.js';
import type { KindDeclaration } from '../../src/kinds/declaration.js';
import { KindRegistry } from '../../src/kinds/registry.js';
import { FsBlobStore } from '../../src/store/blob/fs-blob-store.js';
import { openIndexDatabase, type DatabaseSettings } from '../../src/store/db/connect.js';
import { EvidenceRepo } from '../../src/store/db/evidence-repo.js';
import { signalsGcSources } from '../../src/signals/retention.js';

export interface GcNodeInput {
  readonly settings: DatabaseSettings;
  readonly blobRoot: string;
  readonly bucket: string;
  readonly kinds: readonly KindDeclaration[];
  readonly config: unknown;
  /** Also the Signals reference source and retention pass, as the CLI and the service run them. */
  readonly signals?: boolean;
  readonly now: string;
  /** Every node waits for this shared flag, so both start together. */
  readonly start: SharedArrayBuffer;
}

/** One GC run with the inputs the test posted (node --test also loads this file on the main thread: then it does nothing). */
async function runNode(): Promise<void> {
  const input = workerData as GcNodeInput;
  const index = await openIndexDatabase(input.settings);
  const blobs = new FsBlobStore(input.blobRoot, input.bucket, '');
  Atomics.wait(new Int32Array(input.start), 0, 0);
  try {
    const kinds = new KindRegistry(input.kinds);
    const signals = input.signals === true ? signalsGcSources({ db: index.db, blobs, kinds, config: input.config }) : {};
    const report = await collectOrphanBlobs(
      { blobs, evidence: new EvidenceRepo(index.db), kinds, config: input.config, ...signals },
      { now: new Date(input.now), minAgeMs: 3_600_000, dryRun: false },
    );
    parentPort?.postMessage({ ok: true, report });
  } catch (e) {
    parentPort?.postMessage({ ok: false, message: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) });
  } finally {
    await index.close();
  }
}

if (parentPort !== null) await runNode();
