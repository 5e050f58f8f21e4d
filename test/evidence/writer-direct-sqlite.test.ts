/** The EvidenceWriter contract for directWriter on a SQLite file (commits on the caller's connection). */
import { directWriter } from '../../src/evidence/sqlite-writer.js';
import { EvidenceRepo } from '../../src/store/db/evidence-repo.js';
import { LogSequencer } from '../../src/tlog/log-store.js';
import { NoteSigner } from '../../src/tlog/note.js';
import { freshSqlite } from '../helpers/databases.js';
import { evidenceWriterContract } from './writer-contract.js';

evidenceWriterContract('repo-direct EvidenceWriter on a SQLite file', async (log) => {
  const fresh = await freshSqlite();
  const index = await fresh.open();
  await index.migrate();
  const sequencer = log === undefined ? undefined : new LogSequencer(new NoteSigner(log.origin, log.privateKeyPem), index.driver);
  return {
    writer: directWriter(new EvidenceRepo(index.db), sequencer),
    index,
    async cleanup() {
      await index.close();
      await fresh.cleanup();
    },
  };
});
