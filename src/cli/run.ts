import { reportError } from './output.js';

/** Runs a command body, turning any thrown error into a message and exit code. */
export async function run(flags: { json?: boolean; jsonOutput?: boolean }, body: () => void | Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    process.exitCode = reportError(e, Boolean(flags.json || flags.jsonOutput));
  }
}
