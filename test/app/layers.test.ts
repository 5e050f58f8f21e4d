/**
 * Layers depend downward only (STYLE.md): the CLI reaches the stores through
 * src/app, never through src/server; HTTP routes reach the index through the
 * app's interfaces, never through src/store/db. Read from the sources.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier a file imports or re-exports (static and dynamic). */
function specifiers(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(
    /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g,
  ))
    found.push((m[1] ?? m[2] ?? m[3]) as string);
  return found;
}

function importsInto(fromDir: string, targetDir: string, exempt: readonly string[] = []): string[] {
  const target = join(ROOT, targetDir);
  return sources(join(ROOT, fromDir))
    .filter((file) => !exempt.includes(relative(ROOT, file)))
    .flatMap((file) =>
      specifiers(file)
        .filter((s) => s.startsWith('.'))
        .filter((s) => {
          const resolved = join(file, '..', s);
          return resolved === target || resolved.startsWith(`${target}/`);
        })
        .map((s) => `${relative(ROOT, file)} imports ${s}`),
    );
}

test('src/cli imports nothing from src/server (only the entry point hands the server to `serve`)', () => {
  assert.deepEqual(importsInto('src/cli', 'src/server', ['src/cli/main.ts']), []);
  // The entry point's one import is the server's start function.
  assert.deepEqual(
    specifiers(join(ROOT, 'src/cli/main.ts')).filter((s) => s.includes('server/')),
    ['../server/serve.js'],
  );
});

test('src/server/routes imports nothing from src/store/db', () => {
  assert.deepEqual(importsInto('src/server/routes', 'src/store/db'), []);
});

test('src/app imports nothing from src/server or src/cli', () => {
  assert.deepEqual([...importsInto('src/app', 'src/server'), ...importsInto('src/app', 'src/cli')], []);
});

test('the scan sees imports (it is not vacuous)', () => {
  assert.ok(importsInto('src/server', 'src/app').length > 0);
});
