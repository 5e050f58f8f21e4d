/**
 * The EvidenceWriter contract for SqliteEvidenceWriter: commits on a worker
 * thread with its own connection to the file, while the suite reads on the
 * main connection (as the locker does).
 */
import { SqliteEvidenceWriter } from '../../src/evidence/sqlite-writer.js';
import { freshSqlite } from '../helpers/databases.js';
import { evidenceWriterContract } from './writer-contract.js';

evidenceWriterContract('writer-thread EvidenceWriter on a SQLite file', async (log) => {
  const fresh = await freshSqlite();
  const index = await fresh.open();
  await index.migrate();
  if (fresh.settings.driver !== 'sqlite') throw new Error('freshSqlite opened a non-SQLite database');
  const writer = new SqliteEvidenceWriter(fresh.settings.path, log);
  return {
    writer,
    index,
    async cleanup() {
      await writer.close();
      await index.close();
      await fresh.cleanup();
    },
  };
});
