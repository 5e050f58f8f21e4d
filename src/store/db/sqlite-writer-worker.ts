/** Worker side of SqliteEvidenceWriter: one connection, batches in arrival order. */
import { parentPort, workerData } from 'node:worker_threads';
import { isAttestryError } from '../../core/errors.js';
import { openIndexDatabase } from './connect.js';
import { EvidenceRepo } from './evidence-repo.js';
import type { WriterReply, WriterRequest } from './sqlite-writer.js';

const { path } = workerData as { path: string };
const index = await openIndexDatabase({ driver: 'sqlite', path });
const repo = new EvidenceRepo(index.db);

// Requests are handled one at a time so batches commit in the order sent.
let chain: Promise<void> = Promise.resolve();
parentPort?.on('message', (request: WriterRequest) => {
  chain = chain.then(async () => {
    let reply: WriterReply;
    try {
      reply = { id: request.id, ok: true, outcomes: await repo.insertBatch(request.records) };
    } catch (e) {
      reply = isAttestryError(e)
        ? { id: request.id, ok: false, code: e.code, message: e.message }
        : { id: request.id, ok: false, code: 'E_INTERNAL', message: `index write failed: ${e instanceof Error ? e.message : String(e)}` };
    }
    parentPort?.postMessage(reply);
  });
});
