/**
 * The `attestry` command tree, built for one command line: only the invoked
 * top-level command's module is loaded (all of them for help and unknown
 * commands). main.ts runs it; tests read every command's help from it
 * without a process per command.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { AttestryError } from '../core/errors.js';
import type { StartService } from '../app/service.js';
import { withHelp } from './help.js';
import { COMMAND_HELP } from './help-texts.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

function rootCommand(): Command {
  return new Command('attestry')
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
}

/**
 * Each top-level command and the module that defines it, loaded only when
 * that command runs: importing every command pulls in the HTTP server, the
 * S3 client, TUF and the database drivers, about 0.7 s before anything
 * happens. Help and unknown commands load them all (commander lists and
 * suggests from the full set).
 */
type CommandLoader = (argv: readonly string[], startService: ServiceLoader) => Promise<Command>;

/** Loads the server's start function (main.ts: a dynamic import of src/server/serve.js). */
export type ServiceLoader = () => Promise<StartService>;

const COMMANDS: Readonly<Record<string, CommandLoader>> = {
  model: async () => (await import('./commands/model.js')).modelCommand(),
  publisher: async () => (await import('./commands/publisher.js')).publisherCommand(),
  // The HTTP layer comes from the entry point (main.ts), so nothing under src/cli imports src/server.
  // Loaded when `serve` runs, not when its help is read.
  serve: async (_argv, startService) =>
    (await import('./commands/serve.js')).serveCommand(async (config, options) => (await startService())(config, options)),
  db: async () => (await import('./commands/serve.js')).dbCommand(),
  tenant: async () => (await import('./commands/admin.js')).tenantCommand(),
  token: async () => (await import('./commands/admin.js')).tokenCommand(),
  key: async () => (await import('./commands/admin.js')).keyCommand(),
  evidence: async () => (await import('./commands/evidence.js')).evidenceCommand(),
  gc: async () => (await import('./commands/gc.js')).gcCommand(),
  log: async () => (await import('./commands/log.js')).logCommand(),
  'verify-bundle': async () => (await import('./commands/verify-bundle.js')).verifyBundleCommand(),
  trust: async () => (await import('./commands/trust.js')).trustCommand(),
  'sign-blob': async () => (await import('./commands/sign-blob.js')).signBlobCommand(),
  attest: async (argv) => {
    const verify = (await import('./commands/ai-verify.js')).attestVerifyCommand();
    // `attest` signs with required --key/--predicate/…, which commander would demand of `attest verify` too: that one gets a bare parent.
    if (argv[0] === 'attest' && argv[1] === 'verify') return new Command('attest').addCommand(verify);
    return (await import('./commands/attest.js')).attestCommand().addCommand(verify);
  },
  advisory: async () => (await import('./commands/advisory.js')).advisoryCommand(),
  audit: async () => (await import('./commands/ai-verify.js')).auditCommand(),
  review: async () => (await import('./commands/review.js')).reviewCommand(),
  vex: async () => (await import('./commands/vex.js')).vexCommand(),
  signals: async () => (await import('./commands/signals.js')).signalsCommand(),
};

/** The command named on the command line (the first argument that is not an option), if it is one of ours. */
function invokedCommand(argv: readonly string[]): string | undefined {
  const first = argv.find((a) => !a.startsWith('-'));
  return first !== undefined && Object.hasOwn(COMMANDS, first) ? first : undefined;
}

/** Whether --json (or its alias --json-output) is among the arguments, before any `--`. */
export function jsonRequested(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--json' || a === '--json-output');
}

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
function configure(cmd: Command, json: boolean): void {
  cmd.exitOverride().showHelpAfterError(`(run \`${commandPath(cmd)} --help\` for usage)`);
  if (json) cmd.configureOutput({ outputError: () => undefined, writeErr: () => undefined });
  const help = COMMAND_HELP[commandPath(cmd).replace(/^attestry /, '')];
  if (help !== undefined) withHelp(cmd, help.examples, help.exits);
  for (const sub of cmd.commands) configure(sub, json);
}

const noService: ServiceLoader = () =>
  Promise.reject(new AttestryError('E_USAGE', 'this program was built without the server (buildProgram without a ServiceLoader)'));

/** The program for `argv` (the arguments after `node main.js`). */
export async function buildProgram(argv: readonly string[], startService: ServiceLoader = noService): Promise<Command> {
  const program = rootCommand();
  const invoked = invokedCommand(argv);
  for (const name of invoked === undefined ? Object.keys(COMMANDS) : [invoked])
    program.addCommand(await (COMMANDS[name] as CommandLoader)(argv, startService));
  configure(program, jsonRequested(argv));
  return program;
}
