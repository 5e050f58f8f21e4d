/**
 * Issue 12: content-disposition and cookie are overridden (package.json
 * `overrides`) to the Node-18+ majors, so `npm ci` on Node 20 has no
 * EBADENGINE warnings. These check that their dependents still work with them.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

const require = createRequire(import.meta.url);

/** `engines.node` of a package as installed for `from` (the copy its dependent resolves). */
function enginesOf(name: string, from: string): string | undefined {
  let dir = dirname(createRequire(require.resolve(from)).resolve(name));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; engines?: { node?: string } };
      if (pkg.name === name) return pkg.engines?.node;
    }
    if (dirname(dir) === dir) throw new Error(`no package.json for ${name}`);
    dir = dirname(dir);
  }
}

describe('Node-20-compatible dependencies', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv.stop());

  test('the overridden packages do not require Node 22', () => {
    for (const [name, from] of [
      ['content-disposition', '@fastify/static'],
      ['cookie', 'light-my-request'],
    ] as const) {
      const engines = enginesOf(name, from);
      assert.ok(engines === undefined || !/^>=\s*2[1-9]/.test(engines), `${name} (for ${from}) needs node ${engines}`);
    }
  });

  test('@fastify/static (content-disposition) still serves the API docs', async () => {
    const page = await srv.request('GET', '/docs/static/index.html');
    assert.equal(page.status, 200, page.text.slice(0, 200));
    assert.match(page.text, /swagger/i);
    const { create } = createRequire(require.resolve('@fastify/static'))('content-disposition') as { create: (f: string) => string };
    assert.match(create('model.sig'), /^attachment; filename="?model\.sig"?$/);
  });

  test('light-my-request (cookie) still injects requests with cookies', async () => {
    const r = await srv.app.inject({ method: 'GET', url: '/healthz', cookies: { a: 'b' } });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.json(), { status: 'ok' });
  });
});
