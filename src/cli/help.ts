/**
 * `--help` text every command shares the shape of: examples, then the exit
 * codes of that command. The codes follow one rule (0 ok; 1 usage, load,
 * auth or unreachable service; 2 only when a verification ran and failed),
 * and each command says what each code means for it.
 */
import type { Command } from 'commander';

export type ExitRow = readonly [code: 0 | 1 | 2, meaning: string];

/** Exit 1 of the admin commands that work on the data directory's index. */
export const EXIT_DATA_DIR: ExitRow = [1, 'usage error, no data directory or index (start the service first), bad input, or a conflict'];
/** Exit 1 of the commands that call the service. */
export const EXIT_SERVER: ExitRow = [
  1,
  'usage error, service unreachable, token missing, rejected (401) or not allowed (403), or bad input',
];

export function exitCodeTable(rows: readonly ExitRow[]): string {
  return ['Exit codes:', ...rows.map(([code, meaning]) => `  ${code}  ${meaning}`)].join('\n');
}

/** Adds examples and the exit-code table after the command's own help. */
export function withHelp(cmd: Command, examples: readonly string[], exits: readonly ExitRow[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}\n\n${exitCodeTable(exits)}`);
}
