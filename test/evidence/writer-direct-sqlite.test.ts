/** The EvidenceWriter contract for directWriter on a SQLite file (commits on the caller's connection). */
import { freshSqlite } from '../helpers/databases.js';
import { evidenceWriterContract } from './writer-contract.js';
import { openDirectWriter } from './writer-direct.js';

evidenceWriterContract('repo-direct EvidenceWriter on a SQLite file', openDirectWriter(freshSqlite));
