#!/usr/bin/env node
/** The `attestry` command line. Commands are thin adapters over the library's use cases. */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { modelCommand } from './commands/model.js';
import { publisherCommand } from './commands/publisher.js';
import { dbCommand, serveCommand } from './commands/serve.js';
// The one import of the HTTP layer: the entry point hands the server to `serve` (commands themselves never import src/server).
import { startServer } from '../server/serve.js';
import { keyCommand, tenantCommand, tokenCommand } from './commands/admin.js';
import { evidenceCommand } from './commands/evidence.js';
import { gcCommand } from './commands/gc.js';
import { logCommand } from './commands/log.js';
import { verifyBundleCommand } from './commands/verify-bundle.js';
import { trustCommand } from './commands/trust.js';
import { signBlobCommand } from './commands/sign-blob.js';
import { attestCommand } from './commands/attest.js';
import { signalsCommand } from './commands/signals.js';
import { failureJson, writeJson } from './output.js';
import { withHelp } from './help.js';
import { COMMAND_HELP } from './help-texts.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('attestry')
  .description('sign, record and verify evidence for the software and AI supply chain')
  .version(pkg.version)
  .addHelpText(
    'after',
    `
Exit codes: 0 ok, 1 usage, load, auth or unreachable-service error, 2 only when a verification
ran and failed. Each command's --help lists what its codes mean. With --json every command
prints {"ok": true, ...} or {"ok": false, "code": "E_...", "message": "..."}.
Examples:
  attestry model keygen --output keys
  attestry model sign ./my-model --key keys/private.pem --signer-id ci@example.com
  attestry model verify ./my-model --key keys/public.pem
  attestry serve --data-dir ./data --port 8080
  attestry token create --role signals-service --tenant default --data-dir ./data --json`,
  );
program.addCommand(modelCommand());
program.addCommand(publisherCommand());
program.addCommand(serveCommand(startServer));
program.addCommand(dbCommand());
program.addCommand(tenantCommand());
program.addCommand(tokenCommand());
program.addCommand(keyCommand());
program.addCommand(evidenceCommand());
program.addCommand(gcCommand());
program.addCommand(logCommand());
program.addCommand(verifyBundleCommand());
program.addCommand(trustCommand());
program.addCommand(signBlobCommand());
program.addCommand(attestCommand());
program.addCommand(signalsCommand());

/** Whether --json (or its alias --json-output) is among the arguments, before any `--`. */
function jsonRequested(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--json' || a === '--json-output');
}
const json = jsonRequested(process.argv.slice(2));

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * addCommand() does not pass settings down, so every command gets them here:
 * commander throws instead of exiting (one place turns its errors into exit 1),
 * with --json its error text (and the hint after it) stays off stderr because
 * the error is printed once, as JSON, below; and each command's --help ends
 * with its examples and exit codes (help-texts.ts).
 */
function configure(cmd: Command): void {
  cmd.exitOverride().showHelpAfterError(`(run \`${commandPath(cmd)} --help\` for usage)`);
  if (json) cmd.configureOutput({ outputError: () => undefined, writeErr: () => undefined });
  const help = COMMAND_HELP[commandPath(cmd).replace(/^attestry /, '')];
  if (help !== undefined) withHelp(cmd, help.examples, help.exits);
  for (const sub of cmd.commands) configure(sub);
}
configure(program);

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
