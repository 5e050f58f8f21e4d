/** Worker side of SqliteEvidenceWriter: one connection, batches in arrival order. */
import { workerData } from 'node:worker_threads';
import { isAttestryError } from '../core/errors.js';
import { serveWorkerRpc } from '../core/worker-serve.js';
import { openIndexDatabase } from '../store/db/connect.js';
import { EvidenceRepo, type InsertOutcome } from '../store/db/evidence-repo.js';
import { sqliteError } from '../store/db/sqlite-errors.js';
import { LogSequencer } from '../tlog/log-store.js';
import { NoteSigner } from '../tlog/note.js';
import { directWriter, type WriterLogSettings, type WriterRequest } from './sqlite-writer.js';

const { path, log } = workerData as { path: string; log: WriterLogSettings | undefined };
const index = await openIndexDatabase({ driver: 'sqlite', path });
const writer = directWriter(
  new EvidenceRepo(index.db),
  log === undefined ? undefined : new LogSequencer(new NoteSigner(log.origin, log.privateKeyPem), 'sqlite'),
);

// Requests are handled one at a time so batches commit in the order sent.
// A full or read-only disk is named as such (E_NO_SPACE, E_IO), not as an internal error.
serveWorkerRpc<WriterRequest, InsertOutcome[]>((request) => writer.insertBatch(request.records), {
  serial: true,
  mapError: (e) => (isAttestryError(e) ? e : sqliteError(e, 'write to', path)),
});
