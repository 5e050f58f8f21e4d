#!/usr/bin/env node
/** The `attestry` command line. Commands are thin adapters over the library's use cases. */
import { CommanderError } from 'commander';
import { failureJson, writeJson } from './output.js';
import { buildProgram, jsonRequested } from './program.js';

const argv = process.argv.slice(2);
// The one import of the HTTP layer: the entry point hands the server to `serve` (nothing else under src/cli imports src/server).
const program = await buildProgram(argv, async () => (await import('../server/serve.js')).startServer);
const json = jsonRequested(argv);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // --help and --version exit 0; everything else commander rejects is a usage error.
    process.exitCode = e.exitCode === 0 ? 0 : 1;
    if (json && e.exitCode !== 0) {
      const message = e.code === 'commander.help' ? `${program.name()}: give a command; see --help` : e.message.replace(/^error: /, '');
      writeJson(failureJson('E_USAGE', message, { commanderCode: e.code }));
    }
  } else {
    throw e;
  }
}
