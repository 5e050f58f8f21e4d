/**
 * One test per row of the exit-code tables that `--help` shows for every
 * command (src/cli/help-texts.ts, copied into the README): 0 ok; 1 usage,
 * load, auth or unreachable; 2 only when a verification ran and failed. Every
 * run goes through the real CLI with --json and checks the one JSON shape:
 * `{"ok": true, ...}` on 0, `{"ok": false, "code": "E_…", "message": "…"}` otherwise.
 * The last tests check that every row of every table has a test here, and
 * that every command's --help has examples, the table and --json.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { COMMAND_HELP } from '../../src/cli/help-texts.js';
import { buildProgram } from '../../src/cli/program.js';
import { formatVerifierKey, SIG_ED25519 } from '../../src/tlog/note.js';
import { loadPrivateKey } from '../../src/crypto/keys.js';
import { createSigner } from '../../src/crypto/signer.js';
import { signModel } from '../../src/models/index.js';
import { publicGoodSeed } from '../../src/sigstore/trust-root.js';
import { CLI_PATH, cliHome, getString, jsonOut, runCli, show, writeKeyFiles, type CliResult, type KeyFiles } from '../helpers/cli.js';
import { fixturePath, fixtureSkip } from '../helpers/fixtures.js';
import { makeModel, makeTempDir, removeDir, SAMPLE_FILES, type TempModel } from '../helpers/model.js';
import { signedStatement, startTestServer, type TestServer } from '../helpers/server.js';
import { startTufRepo } from '../helpers/tuf-repo.js';
import { BATCH as EXPORTED_BATCH, buildExport } from '../helpers/signals-export.js';
import { GRAPH, BATCH, startSignalsRoutesServer, type SignalsTestServer } from '../helpers/signals-routes.js';
import { storeGraph, SYM } from '../helpers/reach-http.js';
import { FINDING, tinyModelPath } from '../helpers/tiny-model.js';
import { reviewRows } from './exit-codes-review.js';
import { BATCHES as VERDICT_BATCHES, buildVerdictExport, logVkey as verdictLogVkey, serveExport } from '../signals/reach-verify-fixture.js';

type Code = 0 | 1 | 2;
const covered = new Set<string>();

/** Declares the test of one table row: `command` exits `code` (checked with the shared JSON shape). */
function row(command: string, code: Code, what: string, body: () => Promise<CliResult>, options: { skip?: string | false } = {}): void {
  covered.add(`${command}|${code}`);
  test(`${command} → exit ${code}: ${what}`, { skip: options.skip ?? false }, async () => {
    const r = await body();
    assert.equal(r.code, code, show(r));
    const j = jsonOut(r);
    if (code === 0) {
      assert.equal(j['ok'], true, show(r));
    } else {
      assert.equal(j['ok'], false, show(r));
      assert.match(getString(j, 'code'), /^E_[A-Z_]+$/);
      assert.ok(getString(j, 'message').length > 0);
    }
  });
}

let tmp: string;
let keys: KeyFiles;
let otherKeys: KeyFiles;
let model: TempModel;
let dataDir: string;
let srv: TestServer;
let writer: string;
let reader: string;
let storedId: string;
let envelopeFile: string;
let untrustedEnvelopeFile: string;
let bundleFile: string;
let vkey: string;
let wrongVkey: string;
let registry: string;
let closedPort: string;

const cli = (args: string[], env: Record<string, string> = {}) => runCli([...args, '--json'], { env });
const missingDir = () => join(tmp, 'no-such-data-dir');
const path = (name: string) => join(tmp, name);

before(async () => {
  tmp = makeTempDir('attestry-exit-');
  keys = writeKeyFiles(path('keys'));
  otherKeys = writeKeyFiles(path('other-keys'));
  model = makeModel(SAMPLE_FILES);
  await signModel({
    modelPath: model.dir,
    privateKey: loadPrivateKey(readFileSync(keys.privatePem, 'utf8'), keys.privatePem),
    signerId: 'ci@example.com',
    threads: 1,
  });

  dataDir = path('data');
  const migrated = await runCli(['db', 'migrate', '--data-dir', dataDir, '--json']);
  assert.equal(migrated.code, 0, show(migrated));
  const added = await runCli(['tenant', 'add', 'acme', '--data-dir', dataDir, '--json']);
  assert.equal(added.code, 0, show(added));

  registry = path('trust.json');
  const pub = await runCli([
    'publisher',
    'add',
    '--registry',
    registry,
    '--id',
    'ci@example.com',
    '--public-key',
    keys.publicPem,
    '--json',
  ]);
  assert.equal(pub.code, 0, show(pub));

  srv = await startTestServer();
  await srv.addTenant('t1');
  const signer = await srv.trustNewKey('t1', 'key-t1');
  writer = await srv.token('signals-service', ['t1']);
  reader = await srv.token('policy-engine', ['t1']);
  const hex = () => createHash('sha256').update(String(Math.random())).digest('hex');
  envelopeFile = path('envelope.json');
  writeFileSync(envelopeFile, JSON.stringify(signedStatement(signer, hex())));
  // Same key id as the trusted key, another key: the service's signature check fails.
  const stranger = createSigner(generateKeyPairSync('ed25519').privateKey, 'key-t1');
  untrustedEnvelopeFile = path('untrusted.json');
  writeFileSync(untrustedEnvelopeFile, JSON.stringify(signedStatement(stranger, hex())));
  const stored = await srv.request('POST', '/api/v1/attestations', { token: writer, body: signedStatement(signer, hex()) });
  assert.equal(stored.status, 201, stored.text);
  storedId = String((stored.json as Record<string, unknown>)['id']);
  const bundle = await srv.request('GET', `/api/v1/attestations/${storedId}/bundle`, { token: writer });
  assert.equal(bundle.status, 200, bundle.text);
  bundleFile = path('evidence.bundle.json');
  writeFileSync(bundleFile, bundle.text);
  vkey = String(((await srv.request('GET', '/api/v1/log/key')).json as Record<string, unknown>)['verifierKey']);
  const origin = vkey.split('+')[0] ?? 'attestry.local/log';
  wrongVkey = formatVerifierKey(origin, generateKeyPairSync('ed25519').publicKey, SIG_ED25519);
  // A port nothing listens on: the discard port on loopback refuses at once.
  closedPort = 'http://127.0.0.1:9';
});

after(async () => {
  await srv?.stop();
  await signalsSrv?.stop();
  removeDir(tmp);
});

// model keygen
row('model keygen', 0, 'writes a key pair', () => cli(['model', 'keygen', '--output', path('k1')]));
row('model keygen', 1, 'a key pair is already there', () => cli(['model', 'keygen', '--output', keys.dir]));

// model sign
row('model sign', 0, 'signs a model', async () => {
  const m = makeModel(SAMPLE_FILES);
  return cli(['model', 'sign', m.dir, '--key', keys.privatePem, '--signer-id', 'ci@example.com', '--threads', '1']);
});
row('model sign', 1, 'the key file does not exist', () =>
  cli(['model', 'sign', model.dir, '--key', path('nope.pem'), '--signer-id', 'x', '--signature', path('x.sig')]),
);
row('model sign', 2, '--reuse-digests OLD.sig was signed by another key', () =>
  cli([
    'model',
    'sign',
    model.dir,
    '--key',
    otherKeys.privatePem,
    '--signer-id',
    'x',
    '--reuse-digests',
    join(model.dir, 'model.sig'),
    '--signature',
    path('reuse.sig'),
    '--threads',
    '1',
  ]),
);

// model verify
row('model verify', 0, 'valid signature, every file matches', () =>
  cli(['model', 'verify', model.dir, '--key', keys.publicPem, '--threads', '1']),
);
row('model verify', 1, 'the publisher registry file does not exist (a load error, not an untrusted publisher)', () =>
  cli(['model', 'verify', model.dir, '--registry', path('no-such-registry.json'), '--threads', '1']),
);
row('model verify', 2, 'a file was modified', async () => {
  const m = makeModel(SAMPLE_FILES);
  await signModel({
    modelPath: m.dir,
    privateKey: loadPrivateKey(readFileSync(keys.privatePem, 'utf8'), keys.privatePem),
    signerId: 'ci@example.com',
    threads: 1,
  });
  writeFileSync(join(m.dir, 'config.json'), '{"tampered": true}');
  const r = await cli(['model', 'verify', m.dir, '--key', keys.publicPem, '--threads', '1']);
  const j = jsonOut(r);
  assert.equal(j['code'], 'E_DIGEST_MISMATCH', show(r));
  assert.ok(Array.isArray(j['problems']) && j['problems'].length === 1, show(r));
  return r;
});

// model inspect, digest
row('model inspect', 0, 'reads a signature', () => cli(['model', 'inspect', '--signature', join(model.dir, 'model.sig')]));
row('model inspect', 1, 'the signature file does not exist', () => cli(['model', 'inspect', '--signature', path('none.sig')]));
row('model digest', 0, 'prints the root digest', () => cli(['model', 'digest', model.dir, '--threads', '1']));
row('model digest', 1, 'the model does not exist', () => cli(['model', 'digest', path('no-model')]));

// publisher
row('publisher add', 0, 'adds a publisher', () =>
  cli(['publisher', 'add', '--registry', path('reg-add.json'), '--id', 'a@example.com', '--public-key', keys.publicPem]),
);
row('publisher add', 1, 'the public key file does not exist', () =>
  cli(['publisher', 'add', '--registry', path('reg-add.json'), '--id', 'b@example.com', '--public-key', path('none.pem')]),
);
row('publisher list', 0, 'lists', () => cli(['publisher', 'list', '--registry', registry]));
row('publisher list', 1, 'the registry is malformed', () => {
  writeFileSync(path('bad-reg.json'), '{"version": 1, "publishers": 7}');
  return cli(['publisher', 'list', '--registry', path('bad-reg.json')]);
});
row('publisher show', 0, 'shows', () => cli(['publisher', 'show', 'ci@example.com', '--registry', registry]));
row('publisher show', 1, 'no such publisher', () => cli(['publisher', 'show', 'nobody@example.com', '--registry', registry]));
row('publisher remove', 0, 'removes', async () => {
  await cli(['publisher', 'add', '--registry', path('reg-rm.json'), '--id', 'a@example.com', '--public-key', keys.publicPem]);
  return cli(['publisher', 'remove', 'a@example.com', '--registry', path('reg-rm.json')]);
});
row('publisher remove', 1, 'no such publisher', () => cli(['publisher', 'remove', 'nobody@example.com', '--registry', registry]));
row('publisher revoke', 0, 'revokes', async () => {
  await cli(['publisher', 'add', '--registry', path('reg-rv.json'), '--id', 'a@example.com', '--public-key', keys.publicPem]);
  return cli(['publisher', 'revoke', 'a@example.com', '--registry', path('reg-rv.json'), '--reason', 'test']);
});
row('publisher revoke', 1, 'no such publisher', () => cli(['publisher', 'revoke', 'nobody@example.com', '--registry', registry]));

// serve, db
row('serve', 0, 'stops cleanly on SIGTERM', () =>
  serveUntilListening(['--data-dir', path('serve-data'), '--port', '0', '--log-level', 'silent']),
);
row('serve', 1, 'the configuration file does not exist', () =>
  cli(['serve', '--config', path('no-such.yaml'), '--data-dir', path('serve-bad'), '--port', '0']),
);
row('db migrate', 0, 'creates the index of a new data directory', () => cli(['db', 'migrate', '--data-dir', path('fresh-data')]));
row('db migrate', 1, 'the configuration file does not exist', () =>
  cli(['db', 'migrate', '--config', path('no-such.yaml'), '--data-dir', path('fresh-data-2')]),
);

// admin commands on the data directory; exit 1 rows: the data directory does not exist
const admin = (args: string[]) => cli([...args, '--data-dir', dataDir]);
const noDir = (args: string[] | (() => string[])) => async () => {
  const r = await cli([...(typeof args === 'function' ? args() : args), '--data-dir', missingDir()]);
  const j = jsonOut(r);
  assert.equal(j['code'], 'E_NOT_FOUND', show(r));
  assert.match(getString(j, 'message'), /does not exist.*attestry serve/);
  assert.throws(() => statSync(missingDir()), 'the missing data directory was not created');
  return r;
};
row('tenant add', 0, 'adds a tenant', () => admin(['tenant', 'add', 'globex']));
row('tenant add', 1, 'the data directory does not exist (and is not created)', noDir(['tenant', 'add', 'x']));
row('tenant list', 0, 'lists', () => admin(['tenant', 'list']));
row('tenant list', 1, 'the data directory does not exist', noDir(['tenant', 'list']));
row('token create', 0, 'creates a token with --role', () => admin(['token', 'create', '--role', 'ai-service', '--tenant', 'acme']));
row('token create', 1, 'unknown role', () => admin(['token', 'create', '--role', 'wizard', '--tenant', 'acme']));
row('token list', 0, 'lists', () => admin(['token', 'list']));
row('token list', 1, 'the data directory does not exist', noDir(['token', 'list']));
row('token revoke', 0, 'revokes', async () => {
  const id = getString(jsonOut(await admin(['token', 'create', '--role', 'reviewer', '--tenant', 'acme'])), 'id');
  return admin(['token', 'revoke', id]);
});
row('token revoke', 1, 'the data directory does not exist', noDir(['token', 'revoke', '01JC0000000000000000000000']));
row('key trust', 0, 'trusts a key', () =>
  admin(['key', 'trust', '--key-id', 'release-key', '--public-key', keys.publicPem, '--tenant', 'acme']),
);
row(
  'key trust',
  1,
  'the data directory does not exist',
  noDir(() => ['key', 'trust', '--key-id', 'k', '--public-key', keys.publicPem, '--tenant', 'acme']),
);
row('key list', 0, 'lists', () => admin(['key', 'list']));
row('key list', 1, 'the data directory does not exist', noDir(['key', 'list']));
row('key revoke', 0, 'revokes', async () => {
  await admin(['key', 'trust', '--key-id', 'old-key', '--public-key', keys.publicPem, '--tenant', 'acme']);
  return admin(['key', 'revoke', '--key-id', 'old-key', '--tenant', 'acme']);
});
row('key revoke', 1, 'the data directory does not exist', noDir(['key', 'revoke', '--key-id', 'k', '--tenant', 'acme']));
row('key export', 0, 'prints the service key', () => admin(['key', 'export']));
row('key export', 1, 'the data directory does not exist (no key is created there)', noDir(['key', 'export']));
row('gc', 0, 'dry run', () => admin(['gc', '--dry-run']));
row('gc', 1, 'the data directory does not exist', noDir(['gc', '--dry-run']));

// evidence, against a running service
const ev = (args: string[], token: string) => cli([...args, '--server', srv.url], { ATTESTRY_TOKEN: token });
row('evidence put', 0, 'stores a signed envelope', () => ev(['evidence', 'put', envelopeFile], writer));
row('evidence put', 1, 'the token may not write (403 is an auth error, not a failed verification)', async () => {
  const r = await ev(['evidence', 'put', envelopeFile], reader);
  assert.equal(jsonOut(r)['code'], 'E_FORBIDDEN', show(r));
  return r;
});
row('evidence put', 2, 'the service found no trusted key that signed the envelope', () =>
  ev(['evidence', 'put', untrustedEnvelopeFile], writer),
);
row('evidence get', 0, 'prints a stored envelope', () => ev(['evidence', 'get', storedId], reader));
row('evidence get', 1, 'no such attestation', () => ev(['evidence', 'get', '01JC0000000000000000000000'], reader));
row('evidence get', 2, 'the stored blob was damaged on disk', async () => {
  const id = getString(jsonOut(await ev(['evidence', 'put', await freshEnvelope()], writer)), 'id');
  const got = jsonOut(await ev(['evidence', 'get', id], reader));
  const payload = getString(got, 'payload');
  const blob = findFile(srv.dataDir, (text) => text.includes(payload));
  assert.ok(blob !== undefined, 'the stored blob is found under the data directory');
  writeFileSync(blob, readFileSync(blob, 'utf8').replace(payload, payload.slice(0, -4) + (payload.endsWith('AAAA') ? 'BBBB' : 'AAAA')));
  return ev(['evidence', 'get', id], reader);
});
row('evidence find', 0, 'finds by subject', () => ev(['evidence', 'find', '--subject', `sha256:${'0'.repeat(64)}`], reader));
row('evidence find', 1, 'the service is unreachable', () =>
  cli(['evidence', 'find', '--subject', `sha256:${'0'.repeat(64)}`, '--server', closedPort], { ATTESTRY_TOKEN: reader }),
);

// log
const logArgs = () => ['--server', srv.url, '--log-key', vkey];
row('log checkpoint', 0, 'verified with the pinned key', () => cli(['log', 'checkpoint', ...logArgs()]));
row('log checkpoint', 1, 'the log is unreachable', () => cli(['log', 'checkpoint', '--server', closedPort, '--log-key', vkey]));
row('log checkpoint', 2, 'signed by another key than the pinned one', () =>
  cli(['log', 'checkpoint', '--server', srv.url, '--log-key', wrongVkey]),
);
row('log prove', 0, 'entry 0 is included', () => cli(['log', 'prove', '--index', '0', ...logArgs()]));
row('log prove', 1, 'neither --leaf nor --index', () => cli(['log', 'prove', ...logArgs()]));
row('log prove', 2, 'the checkpoint is not signed by the pinned key', () =>
  cli(['log', 'prove', '--index', '0', '--server', srv.url, '--log-key', wrongVkey]),
);
row('log verify', 0, 'an exported bundle verifies offline', () => cli(['log', 'verify', '--bundle', bundleFile, '--log-key', vkey]));
row('log verify', 1, 'the bundle is not JSON', () => {
  writeFileSync(path('junk.json'), '{"mediaType": 1');
  return cli(['log', 'verify', '--bundle', path('junk.json'), '--log-key', vkey]);
});
row('log verify', 2, 'the envelope was not signed by --key', () =>
  cli(['log', 'verify', '--bundle', bundleFile, '--log-key', vkey, '--key', keys.publicPem]),
);
row('log monitor', 0, '--once on a consistent log', () => cli(['log', 'monitor', '--once', '--state', path('mon.json'), ...logArgs()]));
row('log monitor', 1, 'the log refuses our cosignature (it lists no witnesses)', async () => {
  const witness = writeKeyFiles(path('witness'));
  const r = await cli([
    'log',
    'monitor',
    '--once',
    '--state',
    path('mon-w.json'),
    ...logArgs(),
    '--cosign-key',
    witness.privatePem,
    '--witness-name',
    'witness.example/w1',
  ]);
  assert.equal(jsonOut(r)['code'], 'E_FORBIDDEN', show(r));
  return r;
});
row('log monitor', 2, 'the checkpoint is not signed by the pinned key', () =>
  cli(['log', 'monitor', '--once', '--state', path('mon-bad.json'), '--server', srv.url, '--log-key', wrongVkey]),
);
row('log witness-key', 0, 'prints the cosignature vkey', () =>
  cli(['log', 'witness-key', '--key', keys.publicPem, '--name', 'witness.example/w1']),
);
row('log witness-key', 1, 'the key file does not exist', () => cli(['log', 'witness-key', '--key', path('none.pem'), '--name', 'w']));

// sign-blob and attest
row('sign-blob', 0, 'signs a file into a message-signature bundle', () =>
  cli(['sign-blob', join(model.dir, 'config.json'), '--key', keys.privatePem, '--bundle', path('blob.sigstore.json')]),
);
row('sign-blob', 1, 'the file to sign does not exist', () =>
  cli(['sign-blob', path('absent.bin'), '--key', keys.privatePem, '--bundle', path('absent.sigstore.json')]),
);
row('attest', 0, 'signs an in-toto statement about a digest', () => {
  writeFileSync(path('predicate.json'), '{"scanner":"x"}');
  return cli([
    'attest',
    '--predicate',
    path('predicate.json'),
    '--type',
    'https://example.com/scan/v1',
    '--digest',
    `sha256:${'a'.repeat(64)}`,
    '--key',
    keys.privatePem,
    '--bundle',
    path('att.sigstore.json'),
  ]);
});
row('attest', 1, '--upload to a service that is unreachable', () => {
  writeFileSync(path('predicate-u.json'), '{"scanner":"x"}');
  return cli([
    'attest',
    '--predicate',
    path('predicate-u.json'),
    '--type',
    'https://example.com/scan/v1',
    '--digest',
    `sha256:${'a'.repeat(64)}`,
    '--key',
    keys.privatePem,
    '--bundle',
    path('att-u.sigstore.json'),
    '--upload',
    '--server',
    closedPort,
    '--token',
    't',
  ]);
});

// verify-bundle, on the sigstore-conformance bundles in ../shared/fixtures
const suite = ['sigstore-conformance', 'test', 'assets', 'bundle-verify'] as const;
const conformanceSkip = fixtureSkip(...suite);
const IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';
const happy = () => [
  'verify-bundle',
  '--bundle',
  fixturePath(...suite, 'happy-path-v0.3', 'bundle.sigstore.json'),
  '--artifact',
  fixturePath(...suite, 'a.txt'),
];
row(
  'verify-bundle',
  0,
  'keyless bundle, issuer given as --identity-provider',
  () => cli([...happy(), '--identity', IDENTITY, '--identity-provider', ISSUER]),
  { skip: conformanceSkip },
);
row('verify-bundle', 1, 'no signer policy given', () => cli([...happy()]), { skip: conformanceSkip });
row('verify-bundle', 2, 'another identity signed it', () => cli([...happy(), '--identity', `${IDENTITY}x`, '--issuer', ISSUER]), {
  skip: conformanceSkip,
});

// trust
row('trust refresh', 0, 'refreshes through TUF from a repository on 127.0.0.1', async () => {
  const target = Buffer.from(publicGoodSeed().targets['trusted_root.json'] ?? '', 'base64');
  const repo = await startTufRepo(target);
  try {
    writeFileSync(path('local-root.json'), repo.rootJson);
    const r = await cli([
      'trust',
      'refresh',
      '--mirror',
      repo.url,
      '--initial-root',
      path('local-root.json'),
      '--dir',
      path('tuf-ok'),
      '--timeout',
      '5000',
    ]);
    assert.deepEqual(
      JSON.parse(readFileSync(join(path('tuf-ok'), 'trusted_root.json'), 'utf8')),
      JSON.parse(target.toString('utf8')),
      show(r),
    );
    return r;
  } finally {
    await repo.close();
  }
});
row('trust refresh', 1, 'the TUF repository is unreachable', () => {
  writeFileSync(path('root.json'), publicGoodSeed().rootJson);
  return cli(['trust', 'refresh', '--mirror', closedPort, '--initial-root', path('root.json'), '--dir', path('tuf'), '--timeout', '2000']);
});
row('trust show', 0, 'shows the embedded root', () => cli(['trust', 'show']));
row('trust show', 1, 'the --trusted-root file is not a trusted root', () => {
  writeFileSync(path('not-root.json'), '{}');
  return cli(['trust', 'show', '--trusted-root', path('not-root.json')]);
});

// signals: the routes over the recording use-case double (test/helpers/signals-routes.ts); verify offline on a real export
let signalsSrv: SignalsTestServer | undefined;
const signalsServer = async (): Promise<SignalsTestServer> => (signalsSrv ??= await startSignalsRoutesServer());
const sig = async (args: string[]) => {
  const s = await signalsServer();
  return cli([...args, '--server', s.base], { ATTESTRY_TOKEN: s.token });
};
const noToken = (args: string[]) => cli([...args, '--server', closedPort], { ATTESTRY_TOKEN: '' });
const signalsFile = (name: string, text: string): string => {
  writeFileSync(path(name), text);
  return path(name);
};
row('signals callgraph upload', 0, 'stores a callgraph', async () =>
  sig([
    'signals',
    'callgraph',
    'upload',
    signalsFile('g.ndjson', '{"kind":"node","id":"a"}\n'),
    '--language',
    'java',
    '--source',
    's',
    '--purl',
    'pkg:maven/a/b@1',
  ]),
);
row('signals callgraph upload', 1, 'no token', () =>
  noToken([
    'signals',
    'callgraph',
    'upload',
    signalsFile('g1.ndjson', '{}\n'),
    '--language',
    'java',
    '--source',
    's',
    '--purl',
    'pkg:maven/a/b@1',
  ]),
);
row('signals callgraph get', 0, 'writes the graph', () => sig(['signals', 'callgraph', 'get', GRAPH, '--out', path('got.ndjson')]));
row('signals callgraph get', 1, 'the service is unreachable', () =>
  cli(['signals', 'callgraph', 'get', GRAPH, '--server', closedPort], { ATTESTRY_TOKEN: 'x' }),
);
row('signals callgraph manifest', 0, 'prints the manifest', () => sig(['signals', 'callgraph', 'manifest', GRAPH]));
row('signals callgraph manifest', 1, 'no token', () => noToken(['signals', 'callgraph', 'manifest', GRAPH]));
row('signals callgraph find', 0, 'finds by PURL', () => sig(['signals', 'callgraph', 'find', 'pkg:maven/a/b']));
row('signals callgraph find', 1, 'no token', () => noToken(['signals', 'callgraph', 'find', 'pkg:maven/a/b']));
row('signals facts upload', 0, 'ingests a batch', () =>
  sig([
    'signals',
    'facts',
    'upload',
    signalsFile('f.ndjson', '{"symbolId":"s"}\n'),
    '--callgraph',
    GRAPH,
    '--source',
    'h',
    '--pipeline-version',
    'v',
  ]),
);
row('signals facts upload', 1, '--gzip and --zstd together', () =>
  sig([
    'signals',
    'facts',
    'upload',
    signalsFile('f1.ndjson', '{"symbolId":"s"}\n'),
    '--source',
    'h',
    '--pipeline-version',
    'v',
    '--gzip',
    '--zstd',
  ]),
);
row('signals facts get', 0, 'writes the batch', () => sig(['signals', 'facts', 'get', BATCH, '--out', path('batch.ndjson')]));
row('signals facts get', 1, 'no token', () => noToken(['signals', 'facts', 'get', BATCH]));
row('signals facts stream', 0, 'writes every page', () =>
  sig(['signals', 'facts', 'stream', '--limit', '3', '--out', path('stream.ndjson')]),
);
row('signals facts stream', 1, 'no token', () => noToken(['signals', 'facts', 'stream']));
row('signals export', 0, 'writes the export directory', async () => {
  const s = await signalsServer();
  // The double's provenance names GRAPH; its manifest and attestation are served too (not verifiable: it signs nothing).
  return cli(['signals', 'export', '--batch', BATCH, '--out', path('export'), '--server', s.base], { ATTESTRY_TOKEN: s.token });
});
row('signals export', 1, 'no token', () => noToken(['signals', 'export', '--batch', BATCH, '--out', path('export-1')]));
const exported = (): string => {
  const dir = path('signals-export');
  mkdirSync(dir, { recursive: true });
  buildExport(dir);
  return dir;
};
row('signals verify', 0, 'a complete export verifies', () => {
  const dir = exported();
  return cli(['signals', 'verify', '--batch', EXPORTED_BATCH, '--dir', dir, '--log-key', join(dir, 'log.vkey')]);
});
row('signals verify', 1, 'a logged record and no --log-key', () =>
  cli(['signals', 'verify', '--batch', EXPORTED_BATCH, '--dir', exported()]),
);
row('signals verify', 2, 'the facts file was changed', () => {
  const dir = exported();
  writeFileSync(join(dir, 'facts.ndjson'), '{"symbolId":"forged"}\n');
  return cli(['signals', 'verify', '--batch', EXPORTED_BATCH, '--dir', dir, '--log-key', join(dir, 'log.vkey')]);
});

// signals reachability: the real service (srv), one small callgraph stored on first use
let reachGraph: string | undefined;
const reachCli = async (args: (graphId: string) => string[]) => {
  reachGraph ??= await storeGraph(srv, writer, 't1');
  return cli(['signals', 'reachability', ...args(reachGraph), '--server', srv.url], { ATTESTRY_TOKEN: writer });
};
row('signals reachability', 0, 'answers a symbol', () => reachCli((g) => ['--callgraph', g, '--symbol', SYM.parse]));
row('signals reachability', 1, 'neither --callgraph nor --purl', () => reachCli(() => ['--symbol', SYM.parse]));
row('signals reachability history', 0, 'lists the verdicts', () => reachCli((g) => ['history', '--callgraph', g, '--symbol', SYM.parse]));
row('signals reachability history', 1, 'no token', () =>
  noToken(['signals', 'reachability', 'history', '--callgraph', GRAPH, '--symbol', 'x']),
);
// signals export-verdict / verify-verdict: a verdict export built with real keys (test/signals/reach-verify-fixture.ts), served over HTTP for export-verdict.
const verdictExport = async (): Promise<string> => {
  const dir = path(`verdict-export-${++verdictExports}`);
  mkdirSync(dir, { recursive: true });
  await buildVerdictExport(dir);
  writeFileSync(join(dir, 'log.vkey'), verdictLogVkey());
  return dir;
};
let verdictExports = 0;
let verdictSrv: { url: string; close: () => Promise<void> } | undefined;
after(async () => verdictSrv?.close());
row('signals export-verdict', 0, 'the verdict and its cited records are written', async () => {
  verdictSrv ??= await serveExport(await verdictExport(), 'VERDICT', 'verdict-token');
  return cli(['signals', 'export-verdict', 'VERDICT', '--out', path('verdict-out'), '--server', verdictSrv.url], {
    ATTESTRY_TOKEN: 'verdict-token',
  });
});
row('signals export-verdict', 1, 'no token', () => noToken(['signals', 'export-verdict', 'VERDICT', '--out', path('verdict-out-1')]));
row('signals verify-verdict', 0, 'a complete export re-derives', async () => {
  const dir = await verdictExport();
  return cli(['signals', 'verify-verdict', join(dir, 'verdict.dsse.json'), '--dir', dir, '--log-key', join(dir, 'log.vkey')]);
});
row('signals verify-verdict', 1, 'a logged verdict and no --log-key', async () => {
  const dir = await verdictExport();
  return cli(['signals', 'verify-verdict', join(dir, 'verdict.dsse.json'), '--dir', dir]);
});
row('signals verify-verdict', 2, 'a cited fact blob was changed', async () => {
  const dir = await verdictExport();
  const facts = join(dir, 'batches', VERDICT_BATCHES[0]!.batchId, 'facts.ndjson');
  writeFileSync(facts, readFileSync(facts, 'utf8').replace('"hitCount":3', '"hitCount":4'));
  return cli(['signals', 'verify-verdict', join(dir, 'verdict.dsse.json'), '--dir', dir, '--log-key', join(dir, 'log.vkey')]);
});

// Review and VEX (issue 17): the rows are in exit-codes-review.ts.
reviewRows(row);

test('every row of every exit-code table has a test here', () => {
  const rows = Object.entries(COMMAND_HELP).flatMap(([command, help]) => help.exits.map(([code]) => `${command}|${code}`));
  assert.deepEqual([...new Set(rows)].sort(), [...covered].sort());
});

test("README.md's exit-code table is this table", () => {
  const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
  for (const [command, help] of Object.entries(COMMAND_HELP)) {
    const cells = ([0, 1, 2] as const).map((c) => (help.exits.find(([code]) => code === c)?.[1] ?? '–').replace(/\|/g, '\\|'));
    const line = `| \`${command}\` | ${cells.join(' | ')} |`;
    assert.ok(readme.includes(`${line}\n`), `README.md lacks the row:\n${line}`);
  }
});

/** A command's full --help text (examples and exit codes included), read in this process. */
function helpOf(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s) });
  cmd.outputHelp();
  return text;
}

/** The commands without subcommands, and those that act and have subcommands too (`signals reachability`). */
function leafCommands(cmd: Command, prefix: string[] = []): { path: string[]; cmd: Command }[] {
  const subs = cmd.commands.filter((c) => c.name() !== 'help');
  if (subs.length === 0) return [{ path: prefix, cmd }];
  const own = Object.hasOwn(COMMAND_HELP, prefix.join(' ')) ? [{ path: prefix, cmd }] : [];
  return [...own, ...subs.flatMap((c) => leafCommands(c, [...prefix, c.name()]))];
}

test('every command has --help with examples, its exit codes and --json', async () => {
  // One process for all (a process per command took 50 s); the spawned check below shows the CLI prints the same.
  const leaves = leafCommands(await buildProgram([]));
  assert.ok(leaves.length >= 30, `found ${leaves.length} commands`);
  assert.deepEqual(leaves.map((l) => l.path.join(' ')).sort(), Object.keys(COMMAND_HELP).sort(), 'commands and COMMAND_HELP entries agree');
  for (const { path, cmd } of leaves) {
    const text = helpOf(cmd);
    assert.match(text, /\nExamples:\n {2}\S/, `${path.join(' ')} --help has examples`);
    assert.match(text, /\nExit codes:\n {2}0 {2}/, `${path.join(' ')} --help has exit codes`);
    assert.match(text, /--json\b/, `${path.join(' ')} has --json`);
  }
});

test('the CLI prints the help the program holds, for a command loaded alone', async () => {
  for (const path of [
    ['advisory', 'explain'],
    ['attest', 'verify'],
    ['signals', 'reachability'],
  ]) {
    const r = await runCli([...path, '--help']);
    assert.equal(r.code, 0, show(r));
    const inProcess = leafCommands(await buildProgram(path)).find((l) => l.path.join(' ') === path.join(' '));
    assert.ok(inProcess !== undefined, path.join(' '));
    assert.equal(r.stdout, helpOf(inProcess.cmd));
  }
});

let envelopeCounter = 0;
async function freshEnvelope(): Promise<string> {
  const signer = await srv.trustNewKey('t1', `key-fresh-${++envelopeCounter}`);
  const file = path(`fresh-${envelopeCounter}.json`);
  writeFileSync(file, JSON.stringify(signedStatement(signer, createHash('sha256').update(file).digest('hex'))));
  return file;
}

function findFile(dir: string, match: (text: string) => boolean): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findFile(p, match);
      if (found !== undefined) return found;
    } else if (entry.isFile() && statSync(p).size < 1_000_000 && match(readFileSync(p, 'latin1'))) {
      return p;
    }
  }
  return undefined;
}

/** Starts `attestry serve --json`, waits for its start line, sends SIGTERM and returns its exit. */
function serveUntilListening(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const home = cliHome();
    const child = spawn(process.execPath, [CLI_PATH, 'serve', ...args, '--json'], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, ATTESTRY_HOME: join(home, '.attestry') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
      if (!signalled && stdout.trimEnd().endsWith('}')) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

// AI attestations (issue 16): one explain with the tiny model, shared by the rows below.
let aiRun: Promise<{ dir: string; dataDir: string; attestation: string; manifest: string }> | undefined;
function aiExplained(): Promise<{ dir: string; dataDir: string; attestation: string; manifest: string }> {
  aiRun ??= (async () => {
    const dir = makeTempDir();
    const finding = join(dir, 'finding.json');
    writeFileSync(finding, JSON.stringify(FINDING));
    const dataDir = join(dir, 'data');
    const r = await cli([
      'advisory',
      'explain',
      FINDING.id,
      '--finding',
      finding,
      '--model',
      tinyModelPath(),
      '--max-tokens',
      '24',
      '--attest',
      '--sign',
      '--data-dir',
      dataDir,
    ]);
    assert.equal(r.code, 0, show(r));
    const j = jsonOut(r);
    return { dir, dataDir, attestation: getString(j, 'attestationPath'), manifest: getString(j, 'replayManifestPath') };
  })();
  return aiRun;
}
row('advisory explain', 0, 'the tiny model explains a finding, attested and signed', async () => {
  const a = await aiExplained();
  const finding = join(a.dir, 'finding.json');
  return cli([
    'advisory',
    'explain',
    FINDING.id,
    '--finding',
    finding,
    '--model',
    tinyModelPath(),
    '--max-tokens',
    '8',
    '--type',
    'vex_draft',
    '--data-dir',
    a.dataDir,
  ]);
});
row('advisory explain', 1, 'a finding without a purl', async () => {
  const a = await aiExplained();
  const finding = join(a.dir, 'bad-finding.json');
  writeFileSync(finding, JSON.stringify({ id: 'f', cve: 'CVE-1', description: 'x' }));
  return cli(['advisory', 'explain', 'f', '--finding', finding, '--model', tinyModelPath(), '--data-dir', a.dataDir]);
});
row('advisory replay', 0, 'the same model reproduces the output', async () => {
  const a = await aiExplained();
  return cli(['advisory', 'replay', '--manifest', a.manifest, '--model', tinyModelPath(), '--detect-divergence', '--data-dir', a.dataDir]);
});
row('advisory replay', 1, 'the model file is missing', async () => {
  const a = await aiExplained();
  return cli(['advisory', 'replay', '--manifest', a.manifest, '--model', join(a.dir, 'no-such.gguf'), '--data-dir', a.dataDir]);
});
row('advisory replay', 2, 'other weights: divergent, cause weights', async () => {
  const a = await aiExplained();
  const r = await cli([
    'advisory',
    'replay',
    '--manifest',
    a.manifest,
    '--model',
    tinyModelPath(2),
    '--detect-divergence',
    '--data-dir',
    a.dataDir,
  ]);
  assert.match(getString(jsonOut(r), 'message'), /weights/, show(r));
  return r;
});
row('attest verify', 0, 'a fresh AI attestation verifies', async () => {
  const a = await aiExplained();
  return cli(['attest', 'verify', a.attestation, '--data-dir', a.dataDir]);
});
row('attest verify', 1, 'the attestation file is not JSON', async () => {
  const a = await aiExplained();
  const bad = join(a.dir, 'bad.dsse.json');
  writeFileSync(bad, 'not json');
  return cli(['attest', 'verify', bad, '--data-dir', a.dataDir]);
});
row('attest verify', 2, 'the output in the manifest beside it was edited', async () => {
  const a = await aiExplained();
  const dir = join(a.dir, 'edited');
  mkdirSync(dir, { recursive: true });
  const env = join(dir, a.attestation.split('/').at(-1) as string);
  writeFileSync(env, readFileSync(a.attestation));
  const m = JSON.parse(readFileSync(a.manifest, 'utf8')) as { output: { content: string } };
  m.output.content = `${m.output.content} edited`;
  writeFileSync(join(dir, a.manifest.split('/').at(-1) as string), JSON.stringify(m));
  const r = await cli(['attest', 'verify', env, '--data-dir', a.dataDir]);
  assert.match(getString(jsonOut(r), 'message'), /^manifest-hash/, show(r));
  return r;
});
row('audit list', 0, 'the generation is in the trail', async () => {
  const a = await aiExplained();
  const r = await cli(['audit', 'list', '--data-dir', a.dataDir]);
  assert.ok((jsonOut(r)['records'] as unknown[]).length >= 1, show(r));
  return r;
});
row('audit list', 1, 'a --since that is not a time', async () => {
  const a = await aiExplained();
  return cli(['audit', 'list', '--since', 'yesterday', '--data-dir', a.dataDir]);
});
row('audit verify', 0, 'the trail verifies', async () => {
  const a = await aiExplained();
  return cli(['audit', 'verify', '--data-dir', a.dataDir]);
});
row('audit verify', 1, 'an unknown tenant', async () => {
  const a = await aiExplained();
  return cli(['audit', 'verify', '--tenant', 'Not A Tenant!', '--data-dir', a.dataDir]);
});
row('audit verify', 2, 'a record of the chain was edited in the index', async () => {
  const a = await aiExplained();
  const copy = join(a.dir, 'broken');
  cpSync(a.dataDir, copy, { recursive: true });
  const db = new Database(join(copy, 'index.sqlite'));
  db.prepare("UPDATE ai_audit SET record_json = replace(record_json, 'ai_generation', 'ai_replay') WHERE sequence = 1").run();
  db.close();
  const r = await cli(['audit', 'verify', '--data-dir', copy]);
  assert.match(getString(jsonOut(r), 'message'), /record 1/, show(r));
  return r;
});
