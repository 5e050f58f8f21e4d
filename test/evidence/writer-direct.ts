/** Opens `directWriter` (commits on the caller's connection) over a fresh index, for the writer contract. */
import { directWriter } from '../../src/evidence/sqlite-writer.js';
import { EvidenceRepo } from '../../src/store/db/evidence-repo.js';
import { LogSequencer } from '../../src/tlog/log-store.js';
import { NoteSigner } from '../../src/tlog/note.js';
import type { FreshDatabase } from '../helpers/databases.js';
import type { OpenWriter } from './writer-contract.js';

export function openDirectWriter(fresh: () => Promise<FreshDatabase>): OpenWriter {
  return async (log) => {
    const db = await fresh();
    const index = await db.open();
    await index.migrate();
    const sequencer = log === undefined ? undefined : new LogSequencer(new NoteSigner(log.origin, log.privateKeyPem), index.driver);
    return {
      writer: directWriter(new EvidenceRepo(index.db), sequencer),
      index,
      async cleanup() {
        try {
          await index.close();
        } finally {
          await db.cleanup();
        }
      },
    };
  };
}
