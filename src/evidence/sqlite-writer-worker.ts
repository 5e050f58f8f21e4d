/** Worker side of SqliteEvidenceWriter: one connection, batches in arrival order. */
import { parentPort, workerData } from 'node:worker_threads';
import { isAttestryError } from '../core/errors.js';
import { openIndexDatabase } from '../store/db/connect.js';
import { EvidenceRepo } from '../store/db/evidence-repo.js';
import { sqliteError } from '../store/db/sqlite-errors.js';
import { LogSequencer } from '../tlog/log-store.js';
import { NoteSigner } from '../tlog/note.js';
import { directWriter, type WriterLogSettings, type WriterReply, type WriterRequest } from './sqlite-writer.js';

const { path, log } = workerData as { path: string; log: WriterLogSettings | undefined };
const index = await openIndexDatabase({ driver: 'sqlite', path });
const writer = directWriter(
  new EvidenceRepo(index.db),
  log === undefined ? undefined : new LogSequencer(new NoteSigner(log.origin, log.privateKeyPem), 'sqlite'),
);

// Requests are handled one at a time so batches commit in the order sent.
let chain: Promise<void> = Promise.resolve();
parentPort?.on('message', (request: WriterRequest) => {
  chain = chain.then(async () => {
    let reply: WriterReply;
    try {
      reply = { id: request.id, ok: true, outcomes: await writer.insertBatch(request.records) };
    } catch (e) {
      // A full or read-only disk is named as such (E_NO_SPACE, E_IO), not as an internal error.
      const mapped = isAttestryError(e) ? e : sqliteError(e, 'write to', path);
      reply = { id: request.id, ok: false, code: mapped.code, message: mapped.message };
    }
    parentPort?.postMessage(reply);
  });
});
