/**
 * The EvidenceWriter contract for directWriter on a REAL PostgreSQL server,
 * each test in a fresh schema dropped afterwards. An unreachable server FAILS
 * this file unless ATTESTRY_TEST_SKIP_PG=1.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { directWriter } from '../../src/evidence/sqlite-writer.js';
import { redactUrl } from '../../src/store/db/connect.js';
import { EvidenceRepo } from '../../src/store/db/evidence-repo.js';
import { LogSequencer } from '../../src/tlog/log-store.js';
import { NoteSigner } from '../../src/tlog/note.js';
import { freshPostgres, PG_URL, probePostgres, SKIP_PG } from '../helpers/databases.js';
import { evidenceWriterContract } from './writer-contract.js';

const unreachable = await probePostgres();

if (unreachable !== undefined) {
  describe(
    'repo-direct EvidenceWriter on PostgreSQL',
    { skip: SKIP_PG ? `ATTESTRY_TEST_SKIP_PG=1 and PostgreSQL is unreachable: ${unreachable}` : false },
    () => {
      it('needs a reachable PostgreSQL server', () => {
        assert.fail(`PostgreSQL at ${redactUrl(PG_URL)} is unreachable (${unreachable}); start it or set ATTESTRY_TEST_SKIP_PG=1`);
      });
    },
  );
} else {
  evidenceWriterContract('repo-direct EvidenceWriter on PostgreSQL', async (log) => {
    const fresh = await freshPostgres();
    const index = await fresh.open();
    await index.migrate();
    const sequencer = log === undefined ? undefined : new LogSequencer(new NoteSigner(log.origin, log.privateKeyPem), index.driver);
    return {
      writer: directWriter(new EvidenceRepo(index.db), sequencer),
      index,
      async cleanup() {
        try {
          await index.close();
        } finally {
          await fresh.cleanup();
        }
      },
    };
  });
}
