/**
 * loadConfig: defaults, the shipped etc/attestry.yaml, environment and flag
 * overrides, and errors that name the key and where the value came from.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { loadConfig, type ResolvedConfig } from '../../src/core/config.js';
import { openBlobStore } from '../../src/store/blob/open.js';
import { parseBucketPrefix } from '../../src/store/blob/cas-key.js';
import { expectAttestryError } from './helpers.js';
import { expectRejects } from '../helpers/model.js';

/** The repository's etc/attestry.yaml (tests run from <outDir>/test/core/, next to the repo's package.json). */
const SHIPPED_CONFIG = fileURLToPath(new URL('../../../etc/attestry.yaml', import.meta.url));

let dir: string;
let n = 0;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'attestry-config-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a YAML file in the temp dir and returns its absolute path. */
function yamlFile(text: string): string {
  const path = join(dir, `config-${++n}.yaml`);
  writeFileSync(path, text);
  return path;
}

const load = (options: Parameters<typeof loadConfig>[0] = {}): ResolvedConfig => loadConfig({ env: {}, cwd: dir, ...options });

/** The parts of a resolved config that come from the schema (not where it was loaded from). */
function settings(c: ResolvedConfig): Omit<ResolvedConfig, 'source' | 'DataDir'> {
  const { source: _source, DataDir: _dataDir, ...rest } = c;
  return rest;
}

describe('defaults', () => {
  test('with no file and no environment, every value is the documented default', () => {
    const c = load();
    assert.equal(c.source, 'defaults');
    assert.equal(c.DataDir, null);
    assert.equal(c.dataDir, resolve(dir, '.attestry/data'));
    assert.deepEqual(c.Server, {
      Host: '127.0.0.1',
      Port: 8080,
      BodyLimitBytes: 4 * 1024 * 1024,
      LogLevel: 'info',
      ShutdownGraceMs: 10_000,
      RequestTimeoutMs: 60_000,
      HeadersTimeoutMs: 10_000,
      KeepAliveTimeoutMs: 5_000,
      IdleTimeoutMs: 60_000,
      MaxHeaderBytes: 16_384,
      MaxConnections: 1_000,
      MaxConnectionsPerClient: 500,
    });
    assert.deepEqual(c.Storage, {
      Blob: { Backend: 'filesystem', Root: null, S3: { Endpoint: null, Region: 'us-east-1', ForcePathStyle: true } },
      Database: { Driver: 'sqlite', Path: null, Url: null, Schema: 'public', PoolSize: 10 },
    });
    assert.deepEqual(c.Signals, {
      CAS: { BucketPrefix: 'cas://signals', WriteEnabled: true, RetentionDays: { RuntimeFacts: 90, OrphanCallgraphs: 30 } },
      Provenance: { Enabled: true, SignManifests: true, AttestBatches: true, RekorEnabled: true },
      Signing: { KeyId: 'signals-signer-2025-001', Algorithm: 'ECDSA-P256-SHA256' },
      Reachability: {
        MinBatches: 1,
        MinSources: 1,
        IndexCacheMiB: 512,
        MaxSymbolsPerQuery: 1000,
        MaxWindowBatches: 1000,
        VexAuthor: 'attestry',
      },
    });
  });

  test('an empty file gives the defaults', () => {
    const c = load({ file: yamlFile('') });
    assert.deepEqual(settings(c), settings(load()));
  });

  test('the shipped etc/attestry.yaml states exactly the defaults', () => {
    const shipped = load({ file: SHIPPED_CONFIG });
    assert.equal(shipped.source, SHIPPED_CONFIG);
    assert.deepEqual(settings(shipped), settings(load()));
    assert.equal(shipped.DataDir, '.attestry/data');
    assert.equal(shipped.dataDir, load().dataDir);
    assert.equal(shipped.Signals.Signing.KeyId, 'signals-signer-2025-001');
    assert.equal(shipped.Signals.Signing.Algorithm, 'ECDSA-P256-SHA256');
    assert.equal(shipped.Signals.CAS.BucketPrefix, 'cas://signals');
  });

  test('ATTESTRY_CONFIG names the file when no explicit file is given', () => {
    const file = yamlFile('Server:\n  Port: 7001\n');
    const c = load({ env: { ATTESTRY_CONFIG: file } });
    assert.equal(c.Server.Port, 7001);
    assert.equal(c.source, file);
    // An explicit file wins over ATTESTRY_CONFIG.
    assert.equal(load({ file: yamlFile('Server:\n  Port: 7002\n'), env: { ATTESTRY_CONFIG: file } }).Server.Port, 7002);
  });

  test('a relative file is read relative to cwd', () => {
    yamlFile('Server:\n  Port: 7003\n');
    assert.equal(load({ file: `config-${n}.yaml` }).Server.Port, 7003);
  });
});

describe('errors name the key and the source', () => {
  test('an unknown key in a YAML file → E_CONFIG naming the file and the key path', () => {
    const file = yamlFile('Signals:\n  CAS:\n    Bucket: cas://x\n');
    const e = expectAttestryError(() => load({ file }), 'E_CONFIG');
    assert.ok(e.message.includes(file), `names the file: ${e.message}`);
    assert.match(e.message, /Signals\.CAS\b/);
    assert.match(e.message, /Bucket/);
    const top = yamlFile('Sever:\n  Port: 1\n');
    const e2 = expectAttestryError(() => load({ file: top }), 'E_CONFIG', /Sever/);
    assert.ok(e2.message.includes(top));
  });

  test('a wrong type in a YAML file names Server.Port and the file', () => {
    const file = yamlFile('Server:\n  Port: "abc"\n');
    const e = expectAttestryError(() => load({ file }), 'E_CONFIG', /Server\.Port/);
    assert.ok(e.message.includes(file), e.message);
    expectAttestryError(() => load({ file: yamlFile('Server:\n  Port: 70000\n') }), 'E_CONFIG', /Server\.Port/);
    expectAttestryError(
      () => load({ file: yamlFile('Signals:\n  CAS:\n    WriteEnabled: "no"\n') }),
      'E_CONFIG',
      /Signals\.CAS\.WriteEnabled/,
    );
    expectAttestryError(() => load({ file: yamlFile('Storage:\n  Blob:\n    Backend: ftp\n') }), 'E_CONFIG', /Storage\.Blob\.Backend/);
    expectAttestryError(
      () => load({ file: yamlFile('Signals:\n  Signing:\n    KeyId: "../evil"\n') }),
      'E_CONFIG',
      /Signals\.Signing\.KeyId/,
    );
  });

  test('every problem is listed, not just the first', () => {
    const file = yamlFile('Server:\n  Port: "abc"\n  LogLevel: loud\n');
    const e = expectAttestryError(() => load({ file }), 'E_CONFIG', /Server\.Port/, /Server\.LogLevel/);
    assert.ok(Array.isArray(e.details?.['problems']) && (e.details['problems'] as unknown[]).length === 2, JSON.stringify(e.details));
  });

  test('ATTESTRY__Server__Port=abc names the environment variable and the key', () => {
    const e = expectAttestryError(
      () => load({ env: { ATTESTRY__Server__Port: 'abc' } }),
      'E_CONFIG',
      /ATTESTRY__Server__Port/,
      /Server\.Port/,
    );
    // The file is not blamed for a value that came from the environment.
    const file = yamlFile('Server:\n  Host: 0.0.0.0\n');
    const e2 = expectAttestryError(() => load({ file, env: { ATTESTRY__Server__Port: 'abc' } }), 'E_CONFIG', /ATTESTRY__Server__Port/);
    assert.ok(!e2.message.includes(file), e2.message);
    assert.ok(e.message.length > 0);
  });

  test('an unknown key set through the environment names the variable', () => {
    const file = yamlFile('Server:\n  Port: 8080\n');
    const e = expectAttestryError(() => load({ file, env: { ATTESTRY__Server__Prot: '1' } }), 'E_CONFIG', /Prot/);
    assert.match(e.message, /ATTESTRY__Server__Prot/);
    assert.ok(!e.message.includes(file), `the file is not blamed for an environment variable: ${e.message}`);
  });

  test('an unknown section set through the environment names the variable, not "defaults" (issue 12)', () => {
    const e = expectAttestryError(
      () => load({ env: { ATTESTRY__server__Port: '9090' } }),
      'E_CONFIG',
      /environment ATTESTRY__server__Port: server: unknown key/,
    );
    assert.doesNotMatch(e.message, /defaults/);
    assert.match(e.message, /did you mean Server\?/);
    const file = yamlFile('Server:\n  Port: 8080\n');
    const e2 = expectAttestryError(() => load({ file, env: { ATTESTRY__Logg__Origin: 'x' } }), 'E_CONFIG', /ATTESTRY__Logg__Origin/);
    assert.ok(!e2.message.includes(file), e2.message);
  });

  test('an empty environment variable is named as empty, not ignored or called "not set" (issue 12)', () => {
    for (const name of ['ATTESTRY_PORT', 'ATTESTRY_DATA_DIR', 'ATTESTRY_DATABASE_URL', 'ATTESTRY_CONFIG', 'ATTESTRY__Server__Port']) {
      const e = expectAttestryError(
        () => load({ env: { [name]: '' } }),
        'E_CONFIG',
        new RegExp(`environment variable ${name} is set but empty`),
      );
      assert.doesNotMatch(e.message, /not set/);
    }
  });

  test('a numeric-looking environment value for a string key stays a string', () => {
    const c = load({ env: { ATTESTRY__Signals__Signing__KeyId: '2025', ATTESTRY__Storage__Blob__S3__Region: 'true' } });
    assert.equal(c.Signals.Signing.KeyId, '2025');
    assert.equal(c.Storage.Blob.S3.Region, 'true');
  });

  test('invalid YAML → E_CONFIG naming the file', () => {
    const file = yamlFile('Server:\n  Port: [1, 2\n  Host: x\n');
    const e = expectAttestryError(() => load({ file }), 'E_CONFIG', /YAML/);
    assert.ok(e.message.includes(file), e.message);
    const dup = yamlFile('Server:\n  Port: 1\n  Port: 2\n');
    const e2 = expectAttestryError(() => load({ file: dup }), 'E_CONFIG');
    assert.ok(e2.message.includes(dup), e2.message);
    const list = yamlFile('- a\n- b\n');
    const e3 = expectAttestryError(() => load({ file: list }), 'E_CONFIG', /mapping/);
    assert.ok(e3.message.includes(list));
  });

  test('a missing file → E_CONFIG naming it', () => {
    const missing = join(dir, 'no-such.yaml');
    const e = expectAttestryError(() => load({ file: missing }), 'E_CONFIG', /ENOENT/);
    assert.ok(e.message.includes(missing), e.message);
  });
});

describe('environment overrides', () => {
  test('ATTESTRY__A__B sets nested keys, with YAML scalar types', () => {
    const c = load({
      env: {
        ATTESTRY__Server__Port: '9090',
        ATTESTRY__Signals__CAS__WriteEnabled: 'false',
        ATTESTRY__Signals__Signing__KeyId: 'my-key',
        ATTESTRY__Storage__Blob__S3__Endpoint: 'http://127.0.0.1:9000',
        ATTESTRY__Storage__Blob__Root: 'null',
      },
    });
    assert.equal(c.Server.Port, 9090);
    assert.equal(c.Signals.CAS.WriteEnabled, false);
    assert.equal(c.Signals.Signing.KeyId, 'my-key');
    assert.equal(c.Storage.Blob.S3.Endpoint, 'http://127.0.0.1:9000');
    assert.equal(c.Storage.Blob.Root, null);
  });

  test("the environment wins over the file, and keeps the file's other values", () => {
    const file = yamlFile('Server:\n  Port: 7000\n  Host: 0.0.0.0\n');
    const c = load({ file, env: { ATTESTRY__Server__Port: '9000' } });
    assert.equal(c.Server.Port, 9000);
    assert.equal(c.Server.Host, '0.0.0.0');
    assert.equal(load({ file, env: { ATTESTRY_PORT: '9001' } }).Server.Port, 9001);
  });

  test('ATTESTRY_DATABASE_URL switches the driver to postgres', () => {
    const c = load({ env: { ATTESTRY_DATABASE_URL: 'postgres://attestry@db.example:5432/attestry' } });
    assert.equal(c.Storage.Database.Driver, 'postgres');
    assert.equal(c.Storage.Database.Url, 'postgres://attestry@db.example:5432/attestry');
    // Even over a file that says sqlite.
    const file = yamlFile('Storage:\n  Database:\n    Driver: sqlite\n');
    assert.equal(load({ file, env: { ATTESTRY_DATABASE_URL: 'postgres://x@y/z' } }).Storage.Database.Driver, 'postgres');
  });

  test('the postgres driver without a Url → E_CONFIG naming Storage.Database.Url', () => {
    expectAttestryError(() => load({ env: { ATTESTRY__Storage__Database__Driver: 'postgres' } }), 'E_CONFIG', /Storage\.Database\.Url/);
    const file = yamlFile('Storage:\n  Database:\n    Driver: postgres\n');
    const e = expectAttestryError(() => load({ file }), 'E_CONFIG', /Storage\.Database\.Url/, /ATTESTRY_DATABASE_URL/);
    assert.ok(e.message.includes(file), e.message);
  });
});

describe('flags', () => {
  test('--data-dir and --port override the environment and the file', () => {
    const file = yamlFile('DataDir: /from/file\nServer:\n  Port: 7000\n');
    const env = { ATTESTRY_DATA_DIR: '/from/env', ATTESTRY__Server__Port: '9000' };
    const c = load({ file, env, dataDir: '/from/flag', port: 1234 });
    assert.equal(c.dataDir, '/from/flag');
    assert.equal(c.Server.Port, 1234);
    const noFlags = load({ file, env });
    assert.equal(noFlags.dataDir, '/from/env');
    assert.equal(noFlags.Server.Port, 9000);
    assert.equal(load({ file }).dataDir, '/from/file');
    // --port 0 (pick a free port) is a real value, not "unset".
    assert.equal(load({ file, env, port: 0 }).Server.Port, 0);
  });

  test('a relative --data-dir is resolved against cwd', () => {
    assert.equal(load({ dataDir: 'rel/data' }).dataDir, join(dir, 'rel', 'data'));
  });
});

describe('Signals.CAS.BucketPrefix', () => {
  test('parseBucketPrefix splits bucket and prefix', () => {
    assert.deepEqual(parseBucketPrefix('cas://signals'), { bucket: 'signals', prefix: '' });
    assert.deepEqual(parseBucketPrefix('cas://signals/'), { bucket: 'signals', prefix: '' });
    assert.deepEqual(parseBucketPrefix('cas://my-bucket.prod/a/b_c'), { bucket: 'my-bucket.prod', prefix: 'a/b_c' });
  });

  test('an invalid BucketPrefix is rejected by parseBucketPrefix with E_CONFIG', () => {
    for (const bad of [
      's3://signals',
      'signals',
      'cas://',
      'cas://UPPER',
      'cas://ab',
      'cas://signals/../x',
      'cas://signals//x',
      'cas://-bucket',
    ]) {
      expectAttestryError(() => parseBucketPrefix(bad), 'E_CONFIG', /BucketPrefix/);
    }
  });

  test('an invalid BucketPrefix from the environment fails at openBlobStore', async () => {
    const c = load({ env: { ATTESTRY__Signals__CAS__BucketPrefix: 's3://not-cas' } });
    await expectRejects(() => openBlobStore(c), 'E_CONFIG', /BucketPrefix/, /s3:\/\/not-cas/);
    const ok = load({ env: { ATTESTRY__Signals__CAS__BucketPrefix: 'cas://evidence/tenant-a' } });
    const store = await openBlobStore(ok);
    assert.equal(store.backend, 'filesystem');
    assert.equal(store.location, join(ok.dataDir, 'cas', 'evidence', 'tenant-a'));
  });
});
