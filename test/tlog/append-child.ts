/**
 * A separate process that appends to a log: used by the multi-process and
 * kill -9 tests. Settings come as JSON in ATTESTRY_APPEND_CHILD. After each
 * committed batch it prints "ack <first> <count>"; with batches = 0 it runs
 * until killed.
 */
import { openIndexDatabase, type DatabaseSettings } from '../../src/store/db/connect.js';
import { LogSequencer } from '../../src/tlog/log-store.js';
import { NoteSigner } from '../../src/tlog/note.js';

interface ChildSettings {
  readonly settings: DatabaseSettings;
  readonly keyPem: string;
  readonly origin: string;
  readonly tag: string;
  readonly batches: number;
  readonly batchSize: number;
}

// `node --test dist/test/` loads every file under test/; without settings this is not a child run.
const raw = process.env['ATTESTRY_APPEND_CHILD'];
if (raw === undefined) process.exit(0);
const s = JSON.parse(raw) as ChildSettings;
const index = await openIndexDatabase(s.settings);
await index.migrate();
const sequencer = new LogSequencer(new NoteSigner(s.origin, s.keyPem), index.driver);
for (let b = 0; s.batches === 0 || b < s.batches; b++) {
  const size = 1 + ((b * 7) % s.batchSize);
  const bodies = Array.from({ length: size }, (_, i) => Buffer.from(`${s.tag}:${b}:${i}`));
  const out = await index.db.transaction().execute((trx) => sequencer.append(trx, bodies));
  process.stdout.write(`ack ${out.first} ${size}\n`);
}
await index.close();
process.stdout.write('done\n');
