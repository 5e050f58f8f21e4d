/**
 * Tests that need a Debian tool (openssl, softhsm2, promtool, chromium) skip with an install
 * hint where it is absent, and fail where `.ci/run` installed it and set
 * ATTESTRY_REQUIRE_TOOLS=1 (so a broken install never passes as a skip).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function onPath(command: string): boolean {
  if (command.startsWith('/')) return existsSync(command);
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * `false` when `command` (a name on PATH or an absolute path) exists; otherwise a skip reason
 * saying which Debian package brings it. Throws when ATTESTRY_REQUIRE_TOOLS=1.
 */
export function toolSkip(command: string, debianPackage: string): false | string {
  if (onPath(command)) return false;
  const reason = `${command} not found: install it with 'apt-get install ${debianPackage}'`;
  if (process.env['ATTESTRY_REQUIRE_TOOLS'] === '1')
    throw new Error(`${reason} (ATTESTRY_REQUIRE_TOOLS=1: a missing tool is a failure here)`);
  return reason;
}
