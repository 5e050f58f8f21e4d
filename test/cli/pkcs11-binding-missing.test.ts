/**
 * Without the optional `pkcs11js` binding (its native build can fail), a
 * `pkcs11:` key fails with an error naming the package and how to install
 * it, and PEM keys keep working. The binding is hidden from a CLI child
 * process by a preloaded resolver hook.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectExit, jsonOut, runCli, writeKeyFiles } from '../helpers/cli.js';

let dir: string;
let env: Record<string, string>;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'attestry-nop11-'));
  const hook = join(dir, 'hide-pkcs11js.cjs');
  writeFileSync(
    hook,
    `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'pkcs11js') { const e = new Error("Cannot find module 'pkcs11js'"); e.code = 'MODULE_NOT_FOUND'; throw e; }
  return resolve.call(this, request, ...rest);
};
`,
  );
  env = { NODE_OPTIONS: `--require ${hook}` };
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('a pkcs11: key without the pkcs11js binding names the package; PEM keys still sign', async () => {
  const file = join(dir, 'a.txt');
  writeFileSync(file, 'a');
  const moduleFile = join(dir, 'libtoken.so');
  writeFileSync(moduleFile, '');
  const r = expectExit(
    await runCli(
      [
        'sign-blob',
        file,
        '--key',
        `pkcs11:token=t;object=k?module-path=${moduleFile}&pin-value=1`,
        '--bundle',
        join(dir, 'b.json'),
        '--json',
      ],
      { env },
    ),
    1,
  );
  const error = jsonOut(r) as { code: string; message: string };
  assert.equal(error.code, 'E_KEY_UNSUPPORTED');
  assert.match(error.message, /optional package pkcs11js/);
  assert.match(error.message, /npm install pkcs11js/);
  const keys = writeKeyFiles(join(dir, 'keys'));
  expectExit(await runCli(['sign-blob', file, '--key', keys.privatePem, '--bundle', join(dir, 'c.json')], { env }), 0);
});
