/**
 * The EvidenceWriter contract for directWriter on a REAL PostgreSQL server,
 * each test in a fresh schema dropped afterwards. An unreachable server FAILS
 * this file unless ATTESTRY_TEST_SKIP_PG=1.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactUrl } from '../../src/store/db/connect.js';
import { freshPostgres, PG_URL, probePostgres, SKIP_PG } from '../helpers/databases.js';
import { evidenceWriterContract } from './writer-contract.js';
import { openDirectWriter } from './writer-direct.js';

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
  evidenceWriterContract('repo-direct EvidenceWriter on PostgreSQL', openDirectWriter(freshPostgres));
}
