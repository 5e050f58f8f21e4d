/**
 * Third-party test data lives in `../shared/fixtures/` beside the project (see its README and
 * each folder's SOURCE.md); tests read it in place. Under `CI=true` a missing folder is a test
 * failure; elsewhere (a clone without `../shared`) the tests that need it skip, naming the folder.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: tests run from `dist/test/...`, sources live in `test/...`. */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('test/helpers/fixtures: no package.json above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

export const FIXTURES_ROOT = resolve(projectRoot(), '..', 'shared', 'fixtures');

/** The path of a fixture folder or file, relative to `../shared/fixtures/`. */
export function fixturePath(...parts: string[]): string {
  return join(FIXTURES_ROOT, ...parts);
}

/**
 * `false` when the fixture is there; a skip reason otherwise. Under CI=true a missing fixture
 * throws, so the suite fails instead of skipping.
 */
export function fixtureSkip(...parts: string[]): false | string {
  const path = fixturePath(...parts);
  if (existsSync(path)) return false;
  const reason = `missing test fixture ../shared/fixtures/${parts.join('/')} (expected at ${path}; it comes with the project's shared/ folder)`;
  if (process.env['CI'] === 'true') throw new Error(`${reason}: under CI=true a missing fixture is a failure`);
  return reason;
}
