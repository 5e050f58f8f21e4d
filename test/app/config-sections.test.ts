/**
 * The Evidence and Log sections (issue #13, deliverable 5): defaults,
 * environment overrides, and Signals.Provenance combinations that could never
 * take effect are refused.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { expectAttestryError } from '../core/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'attestry-config-sections-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const yamlFile = (text: string): string => {
  const path = join(dir, `c-${++n}.yaml`);
  writeFileSync(path, text);
  return path;
};
const load = (options: Parameters<typeof loadConfig>[0] = {}) => loadConfig({ env: {}, cwd: dir, ...options });

describe('Evidence and Log sections', () => {
  test('both are on by default', () => {
    const c = load();
    assert.deepEqual(c.Evidence, { WriteEnabled: true });
    assert.equal(c.Log.Enabled, true);
  });

  test('the file and the environment set them; the environment wins', () => {
    const file = yamlFile('Evidence:\n  WriteEnabled: false\nLog:\n  Enabled: false\n');
    assert.equal(load({ file }).Evidence.WriteEnabled, false);
    assert.equal(load({ file }).Log.Enabled, false);
    const c = load({ file, env: { ATTESTRY__Evidence__WriteEnabled: 'true', ATTESTRY__Log__Enabled: 'true' } });
    assert.equal(c.Evidence.WriteEnabled, true);
    assert.equal(c.Log.Enabled, true);
    assert.equal(load({ env: { ATTESTRY__Evidence__WriteEnabled: 'false' } }).Evidence.WriteEnabled, false);
  });

  test('a wrong type or an unknown key names it', () => {
    expectAttestryError(() => load({ env: { ATTESTRY__Evidence__WriteEnabled: 'no' } }), 'E_CONFIG', /Evidence\.WriteEnabled/);
    expectAttestryError(() => load({ file: yamlFile('Evidence:\n  Enabled: false\n') }), 'E_CONFIG', /Evidence\.Enabled: unknown key/);
    expectAttestryError(() => load({ file: yamlFile('Log:\n  enabled: false\n') }), 'E_CONFIG', /did you mean Log\.Enabled/);
  });
});

describe('Signals.Provenance combinations', () => {
  test('Enabled: false alone is accepted (its steps follow it)', () => {
    const c = load({ file: yamlFile('Signals:\n  Provenance:\n    Enabled: false\n') });
    assert.equal(c.Signals.Provenance.Enabled, false);
  });

  test('AttestBatches or SignManifests set to true with Enabled: false is refused, naming both keys', () => {
    for (const key of ['AttestBatches', 'SignManifests']) {
      expectAttestryError(
        () => load({ file: yamlFile(`Signals:\n  Provenance:\n    Enabled: false\n    ${key}: true\n`) }),
        'E_CONFIG',
        new RegExp(`Signals\\.Provenance\\.${key}: true needs Signals\\.Provenance\\.Enabled: true`),
      );
      expectAttestryError(
        () =>
          load({
            env: { ATTESTRY__Signals__Provenance__Enabled: 'false', [`ATTESTRY__Signals__Provenance__${key}`]: 'true' },
          }),
        'E_CONFIG',
        new RegExp(key),
      );
    }
  });

  test('set to false with Enabled: false is accepted', () => {
    const c = load({ file: yamlFile('Signals:\n  Provenance:\n    Enabled: false\n    AttestBatches: false\n    SignManifests: false\n') });
    assert.equal(c.Signals.Provenance.AttestBatches, false);
  });
});

describe('database keys the driver does not read', () => {
  test('Url with the sqlite driver, or Path with postgres, is refused naming the key', () => {
    expectAttestryError(
      () => load({ file: yamlFile('Storage:\n  Database:\n    Url: postgres://x@y/z\n') }),
      'E_CONFIG',
      /Storage\.Database\.Url: not used with Storage\.Database\.Driver sqlite/,
    );
    expectAttestryError(
      () =>
        load({ file: yamlFile('Storage:\n  Database:\n    Path: /tmp/x.sqlite\n'), env: { ATTESTRY_DATABASE_URL: 'postgres://x@y/z' } }),
      'E_CONFIG',
      /Storage\.Database\.Path: not used with Storage\.Database\.Driver postgres/,
    );
  });
});
