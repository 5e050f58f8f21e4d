/** Worker side of SqliteEvidenceWriter: one connection, batches in arrival order. */
import { parentPort, workerData } from 'node:worker_threads';
import { isAttestryError } from '../core/errors.js';
import { openIndexDatabase } from '../store/db/connect.js';
import { EvidenceRepo } from '../store/db/evidence-repo.js';
import { LogSequencer } from '../tlog/log-store.js';
import { NoteSigner } from '../tlog/note.js';
import { directWriter, type WriterLogSettings, type WriterReply, type WriterRequest } from './sqlite-writer.js';

const { path, log } = workerData as { path: string; log: WriterLogSettings | undefined };
const index = await openIndexDatabase({ driver: 'sqlite', path });
const writer = directWriter(new EvidenceRepo(index.db), log === undefined ? undefined : new LogSequencer(new NoteSigner(log.origin, log.privateKeyPem), 'sqlite'));

// Requests are handled one at a time so batches commit in the order sent.
let chain: Promise<void> = Promise.resolve();
parentPort?.on('message', (request: WriterRequest) => {
  chain = chain.then(async () => {
    let reply: WriterReply;
    try {
      reply = { id: request.id, ok: true, outcomes: await writer.insertBatch(request.records) };
    } catch (e) {
      reply = isAttestryError(e)
        ? { id: request.id, ok: false, code: e.code, message: e.message }
        : { id: request.id, ok: false, code: 'E_INTERNAL', message: `index write failed: ${e instanceof Error ? e.message : String(e)}` };
    }
    parentPort?.postMessage(reply);
  });
});
