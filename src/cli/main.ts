#!/usr/bin/env node
/** The `attestry` command line. Commands are thin adapters over the library's use cases. */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { modelCommand } from './commands/model.js';
import { publisherCommand } from './commands/publisher.js';
import { dbCommand, serveCommand } from './commands/serve.js';
import { keyCommand, tenantCommand, tokenCommand } from './commands/admin.js';
import { evidenceCommand } from './commands/evidence.js';
import { gcCommand } from './commands/gc.js';
import { logCommand } from './commands/log.js';
import { verifyBundleCommand } from './commands/verify-bundle.js';
import { trustCommand } from './commands/trust.js';
import { signBlobCommand } from './commands/sign-blob.js';
import { attestCommand } from './commands/attest.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('attestry')
  .description('sign, record and verify evidence for the software and AI supply chain')
  .version(pkg.version)
  .showHelpAfterError()
  .exitOverride()
  .addHelpText(
    'after',
    `
Exit codes: 0 ok, 1 usage or load error, 2 verification failed.
Examples:
  attestry model keygen --output keys
  attestry model sign --model-dir ./my-model --key keys/private.pem --signer-id ci@example.com
  attestry model verify --model-dir ./my-model --key keys/public.pem
  attestry serve --data-dir ./data --port 8080
  attestry token create --principal signals-service --tenant default --data-dir ./data --json`,
  );
program.addCommand(modelCommand());
program.addCommand(publisherCommand());
program.addCommand(serveCommand());
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

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // --help and --version exit 0; everything else commander rejects is a usage error.
    process.exitCode = e.exitCode === 0 ? 0 : 1;
  } else {
    throw e;
  }
}
