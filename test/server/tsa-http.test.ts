/**
 * attestry as an RFC 3161 timestamp authority, end to end: POST
 * /api/v1/timestamp checked with `openssl ts` (Debian openssl, the independent
 * implementation); every logged record's timestamp stored with it (SQLite and
 * PostgreSQL, across a restart); exported bundles accepted by @sigstore/verify
 * with its default policy and by `attestry verify-bundle` with the exported
 * trusted root; tampering the timestamp, the signature or the log proof each
 * failing, named; and key-only bundles needing --offline-key-only.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bundleFromJSON } from '@sigstore/bundle';
import { RFC3161Timestamp } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import type { ResolvedConfig } from '../../src/core/config.js';
import { publicKeyToPem } from '../../src/crypto/keys.js';
import type { NodeSigner } from '../../src/crypto/signer.js';
import { runCli } from '../helpers/cli.js';
import { freshPostgres } from '../helpers/databases.js';
import { fixturePath, fixtureSkip } from '../helpers/fixtures.js';
import { isRecord } from '../helpers/model.js';
import { signedStatement, startTestServer, type TestServer } from '../helpers/server.js';
import { toolSkip } from '../helpers/tools.js';

const noOpenssl = toolSkip('openssl', 'openssl');
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON trees edited in place
type Json = Record<string, any>; // bundle and trusted-root JSON trees, edited in place by the tamper cases

let srv: TestServer;
let dir: string;
let token: string;
let signer: NodeSigner;
let root: Json;
const rootJson = (): string => join(dir, 'trusted_root.json');
const stored: { id: string; subject: string }[] = [];

function openssl(...args: string[]): { code: number | null; out: string } {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function pem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
}

async function timestampQuery(query: Uint8Array): Promise<{ status: number; type: string | null; body: Buffer }> {
  const r = await fetch(`${srv.url}/api/v1/timestamp`, {
    method: 'POST',
    headers: { 'content-type': 'application/timestamp-query' },
    body: query,
  });
  return { status: r.status, type: r.headers.get('content-type'), body: Buffer.from(await r.arrayBuffer()) };
}

async function bundleOf(id: string): Promise<Json> {
  const r = await srv.request('GET', `/api/v1/attestations/${id}/bundle`, { token });
  assert.equal(r.status, 200, r.text);
  assert.ok(isRecord(r.json));
  return r.json;
}

const signedTimestamp = (b: Json): Buffer =>
  Buffer.from(String(b['verificationMaterial']['timestampVerificationData']['rfc3161Timestamps'][0]['signedTimestamp']), 'base64');

function sigstoreVerify(bundle: Json, trustedRoot: Json = root): void {
  const trust = toTrustMaterial(TrustedRoot.fromJSON(trustedRoot), () => ({ publicKey: signer.publicKey, validFor: () => true }));
  // The default policy: one log entry, one timestamp.
  new Verifier(trust).verify(toSignedEntity(bundleFromJSON(bundle)));
}

async function verifyBundle(bundle: Json, ...extra: string[]): Promise<{ code: number | null; out: string }> {
  const path = join(dir, `b-${randomBytes(4).toString('hex')}.json`);
  writeFileSync(path, JSON.stringify(bundle));
  const subject = JSON.parse(Buffer.from(String(bundle['dsseEnvelope']['payload']), 'base64').toString()).subject[0].digest
    .sha256 as string;
  const r = await runCli([
    'verify-bundle',
    '--bundle',
    path,
    '--digest',
    `sha256:${subject}`,
    '--key',
    join(dir, 'signer.pem'),
    '--json',
    ...extra,
  ]);
  return { code: r.code, out: r.stdout + r.stderr };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'attestry-tsa-'));
  srv = await startTestServer();
  await srv.addTenant('t1');
  signer = await srv.trustNewKey('t1', 'key-t1', 'ecdsa-p256');
  token = await srv.token('signals-service', ['t1']);
  writeFileSync(join(dir, 'signer.pem'), publicKeyToPem(signer.publicKey));
  for (let i = 0; i < 5; i++) {
    const subject = randomBytes(32).toString('hex');
    const r = await srv.request('POST', '/api/v1/attestations', { token, body: signedStatement(signer, subject) });
    assert.equal(r.status, 201, r.text);
    assert.ok(isRecord(r.json));
    stored.push({ id: String(r.json['id']), subject });
  }
  const r = await srv.request('GET', '/api/v1/log/trusted-root');
  assert.ok(isRecord(r.json));
  root = r.json;
  writeFileSync(rootJson(), r.text);
  const chain = (root['timestampAuthorities'][0]['certChain']['certificates'] as { rawBytes: string }[]).map((c) =>
    Buffer.from(c.rawBytes, 'base64'),
  );
  writeFileSync(join(dir, 'tsa.pem'), pem(chain[0] as Buffer));
  writeFileSync(join(dir, 'root.pem'), pem(chain[1] as Buffer));
});
after(async () => {
  await srv?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('POST /api/v1/timestamp (RFC 3161 §3.4)', { skip: noOpenssl }, () => {
  test('openssl ts -query → a reply openssl ts -verify accepts; certReq and the nonce are honoured', async () => {
    writeFileSync(join(dir, 'data.txt'), 'timestamp me\n');
    assert.equal(openssl('ts', '-query', '-data', 'data.txt', '-sha256', '-cert', '-out', 'q1.tsq').code, 0);
    const r1 = await timestampQuery(readFileSync(join(dir, 'q1.tsq')));
    assert.equal(r1.status, 200);
    assert.equal(r1.type, 'application/timestamp-reply');
    writeFileSync(join(dir, 'r1.tsr'), r1.body);
    const ok = openssl('ts', '-verify', '-in', 'r1.tsr', '-queryfile', 'q1.tsq', '-CAfile', 'root.pem');
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /Verification: OK/);
    const text = openssl('ts', '-reply', '-in', 'r1.tsr', '-text').out;
    assert.match(text, /Status: Granted/);
    assert.match(text, /Nonce: 0x[0-9A-F]+/);
    const genTime = RFC3161Timestamp.parse(Buffer.from(r1.body)).signingTime.getTime();
    assert.ok(Math.abs(genTime - Date.now()) < 60_000, 'genTime is now');

    // Without -cert the token carries no certificate: it verifies only when given the TSA certificate.
    assert.equal(openssl('ts', '-query', '-data', 'data.txt', '-sha512', '-out', 'q2.tsq').code, 0);
    const r2 = await timestampQuery(readFileSync(join(dir, 'q2.tsq')));
    assert.equal(r2.status, 200);
    writeFileSync(join(dir, 'r2.tsr'), r2.body);
    assert.notEqual(openssl('ts', '-verify', '-in', 'r2.tsr', '-queryfile', 'q2.tsq', '-CAfile', 'root.pem').code, 0);
    const withCert = openssl('ts', '-verify', '-in', 'r2.tsr', '-queryfile', 'q2.tsq', '-CAfile', 'root.pem', '-untrusted', 'tsa.pem');
    assert.equal(withCert.code, 0, withCert.out);
    // A reply checked against another request (its nonce and imprint) fails.
    assert.notEqual(
      openssl('ts', '-verify', '-in', 'r1.tsr', '-queryfile', 'q2.tsq', '-CAfile', 'root.pem', '-untrusted', 'tsa.pem').code,
      0,
    );
    // And a reply is not a timestamp from another CA.
    assert.notEqual(openssl('ts', '-verify', '-in', 'r1.tsr', '-queryfile', 'q1.tsq', '-CAfile', 'tsa.pem').code, 0);
  });

  test('bad requests get a rejection with the PKIFailureInfo that names why', async () => {
    const cases: [string, Uint8Array, RegExp][] = [];
    cases.push(['not DER', Buffer.from('not a timestamp request'), /the data submitted has the wrong format/]);
    assert.equal(openssl('ts', '-query', '-data', 'data.txt', '-sha1', '-out', 'sha1.tsq').code, 0);
    cases.push(['a SHA-1 imprint', readFileSync(join(dir, 'sha1.tsq')), /unrecognized or unsupported algorithm/]);
    assert.equal(openssl('ts', '-query', '-data', 'data.txt', '-tspolicy', '1.2.3.4', '-out', 'policy.tsq').code, 0);
    cases.push(['another TSA policy', readFileSync(join(dir, 'policy.tsq')), /the requested TSA policy is not supported/]);
    const good = readFileSync(join(dir, 'q1.tsq'));
    cases.push(['trailing bytes', Buffer.concat([good, Buffer.from([0])]), /the data submitted has the wrong format/]);
    for (const [what, body, failure] of cases) {
      const r = await timestampQuery(body);
      assert.equal(r.status, 400, what);
      assert.equal(r.type, 'application/timestamp-reply', what);
      writeFileSync(join(dir, 'rej.tsr'), r.body);
      const text = openssl('ts', '-reply', '-in', 'rej.tsr', '-text').out;
      assert.match(text, /Status: Rejected/, what);
      assert.match(text, failure, `${what}: ${text}`);
    }
    const json = await srv.request('POST', '/api/v1/timestamp', { body: { hash: 'x' } });
    assert.equal(json.status, 415);
    assert.match(json.text, /application\/timestamp-query/);
    const big = await timestampQuery(Buffer.alloc(64 * 1024));
    assert.equal(big.status, 413);
  });
});

describe('logged records carry a timestamp over their signature', () => {
  test('the exported bundle holds it; openssl ts -verify accepts it over the signature bytes', { skip: noOpenssl }, async () => {
    const bundle = await bundleOf((stored[1] as (typeof stored)[number]).id);
    writeFileSync(join(dir, 'token.tsr'), signedTimestamp(bundle));
    writeFileSync(join(dir, 'sig.bin'), Buffer.from(String(bundle['dsseEnvelope']['signatures'][0]['sig']), 'base64'));
    const ok = openssl('ts', '-verify', '-in', 'token.tsr', '-data', 'sig.bin', '-CAfile', 'root.pem', '-untrusted', 'tsa.pem');
    assert.equal(ok.code, 0, ok.out);
    writeFileSync(join(dir, 'other.bin'), randomBytes(64));
    assert.notEqual(
      openssl('ts', '-verify', '-in', 'token.tsr', '-data', 'other.bin', '-CAfile', 'root.pem', '-untrusted', 'tsa.pem').code,
      0,
    );
  });

  test('@sigstore/verify (default policy) and attestry verify-bundle with the exported trusted root accept the bundle', async () => {
    const bundle = await bundleOf((stored[2] as (typeof stored)[number]).id);
    sigstoreVerify(bundle);
    const r = await verifyBundle(bundle, '--trusted-root', rootJson());
    assert.equal(r.code, 0, r.out);
    const out = JSON.parse(r.out) as { timestamps: { source: string }[]; tlogEntries: unknown[] };
    assert.deepEqual(
      out.timestamps.map((t) => t.source),
      ['rfc3161'],
    );
    assert.equal(out.tlogEntries.length, 1);
    const lead = (await runCli(['verify-bundle', '--bundle', join(dir, 'x.json'), '--help'])).stdout;
    assert.match(lead, /--offline-key-only/);
  });

  test('a record stored before the TSA existed (no token) gets one at export, and the bundle verifies', async () => {
    const { id } = stored[0] as (typeof stored)[number];
    await srv.services.index.db.updateTable('evidence').set({ tsa_token: null }).where('id', '=', id).execute();
    const bundle = await bundleOf(id);
    sigstoreVerify(bundle);
    assert.ok(RFC3161Timestamp.parse(Buffer.from(signedTimestamp(bundle))).signingTime.getTime() > Date.now() - 60_000, 'timestamped now');
  });

  test('tampering the timestamp, the signature or the log proof each fails, named', async () => {
    const original = await bundleOf((stored[3] as (typeof stored)[number]).id);
    const imprint = createHash('sha256')
      .update(Buffer.from(String(original['dsseEnvelope']['signatures'][0]['sig']), 'base64'))
      .digest();
    const cases: { what: string; check: string; library: RegExp; apply: (b: Json) => void }[] = [
      {
        what: 'the timestamp (a byte of its message imprint)',
        check: 'timestamp',
        library: /TIMESTAMP_ERROR/,
        apply: (b) => {
          const t = signedTimestamp(b);
          const at = t.indexOf(Buffer.from(imprint));
          assert.ok(at > 0, 'the token holds the imprint');
          t[at + 5] = (t[at + 5] as number) ^ 1;
          b['verificationMaterial']['timestampVerificationData']['rfc3161Timestamps'][0]['signedTimestamp'] = t.toString('base64');
        },
      },
      {
        what: 'the signature',
        check: 'signature',
        library: /ERROR/,
        apply: (b) => {
          const s = Buffer.from(String(b['dsseEnvelope']['signatures'][0]['sig']), 'base64');
          s[s.length - 3] = (s[s.length - 3] as number) ^ 1;
          b['dsseEnvelope']['signatures'][0]['sig'] = s.toString('base64');
        },
      },
      {
        what: 'the log proof (an inclusion proof hash)',
        check: 'tlog-inclusion-proof',
        library: /TLOG_INCLUSION_PROOF_ERROR/,
        apply: (b) => {
          const p = b['verificationMaterial']['tlogEntries'][0]['inclusionProof'];
          assert.ok(p['hashes'].length > 0);
          const h = Buffer.from(String(p['hashes'][0]), 'base64');
          h[0] = (h[0] as number) ^ 1;
          p['hashes'][0] = h.toString('base64');
        },
      },
    ];
    for (const c of cases) {
      const bundle = structuredClone(original);
      c.apply(bundle);
      const r = await verifyBundle(bundle, '--trusted-root', rootJson());
      assert.equal(r.code, 2, `${c.what}: ${r.out}`);
      assert.match(r.out, new RegExp(`verification failed \\(${c.check}\\)`), c.what);
      assert.throws(
        () => sigstoreVerify(bundle),
        (e: Error & { code?: string }) => c.library.test(String(e.code)),
        c.what,
      );
    }
    // A trusted root without the TSA does not vouch for the timestamp.
    const noTsa = { ...structuredClone(root), timestampAuthorities: [] };
    writeFileSync(join(dir, 'no-tsa.json'), JSON.stringify(noTsa));
    const r = await verifyBundle(original, '--trusted-root', join(dir, 'no-tsa.json'));
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /verification failed \(timestamp\)/);
    assert.throws(() => sigstoreVerify(original, noTsa), /timestamp/);
  });
});

describe('key-only bundles (no log entry, no timestamp)', () => {
  test('verify-bundle --key says so and names --offline-key-only, which then verifies the signature alone', async () => {
    const keyOnly = await bundleOf((stored[4] as (typeof stored)[number]).id);
    keyOnly['verificationMaterial']['tlogEntries'] = [];
    delete keyOnly['verificationMaterial']['timestampVerificationData'];
    const refused = await verifyBundle(keyOnly);
    assert.equal(refused.code, 2, refused.out);
    assert.match(refused.out, /no transparency log entry and no timestamp/);
    assert.match(refused.out, /--offline-key-only/);
    const accepted = await verifyBundle(keyOnly, '--offline-key-only');
    assert.equal(accepted.code, 0, accepted.out);
    // The signature is still checked.
    const forged = structuredClone(keyOnly);
    forged['dsseEnvelope']['payload'] = Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ name: 'x', digest: { sha256: '0'.repeat(64) } }],
        predicateType: 'https://example.com/x',
        predicate: {},
      }),
    ).toString('base64');
    const bad = await verifyBundle(forged, '--offline-key-only');
    assert.equal(bad.code, 2, bad.out);
    assert.match(bad.out, /verification failed \(signature\)/);
    // Keyless certificates are only valid at a verified time: the flag goes with --key only.
    const path = join(dir, 'k.json');
    writeFileSync(path, JSON.stringify(keyOnly));
    const usage = await runCli([
      'verify-bundle',
      '--bundle',
      path,
      '--digest',
      `sha256:${'0'.repeat(64)}`,
      '--identity',
      'a@b',
      '--issuer',
      'https://x',
      '--offline-key-only',
    ]);
    assert.equal(usage.code, 1, usage.stderr);
  });
});

const MODEL_SIG = ['model-transparency', 'scripts', 'tests'];
test(
  "model_signing's own key-signed model.sig (v1.1.0, ECDSA): refused without --offline-key-only, verified with it",
  { skip: fixtureSkip(...MODEL_SIG, 'v1.1.0-elliptic-key', 'model.sig') },
  async () => {
    const sig = fixturePath(...MODEL_SIG, 'v1.1.0-elliptic-key', 'model.sig');
    const key = fixturePath(...MODEL_SIG, 'keys', 'certificate', 'signing-key-pub.pem');
    const bundle = JSON.parse(readFileSync(sig, 'utf8')) as Json;
    const subject = JSON.parse(Buffer.from(String(bundle['dsseEnvelope']['payload']), 'base64').toString()).subject[0].digest
      .sha256 as string;
    const args = ['verify-bundle', '--bundle', sig, '--digest', `sha256:${subject}`, '--key', key];
    const refused = await runCli(args);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /no transparency log entry and no timestamp.*--offline-key-only/);
    const ok = await runCli([...args, '--offline-key-only']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /VERIFIED/);
  },
);

describe('timestamps are stored with the record', () => {
  for (const backend of ['SQLite', 'PostgreSQL'] as const) {
    test(`${backend}: the token survives a restart unchanged, as does the TSA chain`, async () => {
      const data = mkdtempSync(join(tmpdir(), 'attestry-tsa-durable-'));
      const pg = backend === 'PostgreSQL' ? await freshPostgres() : undefined;
      const configure = (c: ResolvedConfig): void => {
        if (pg !== undefined && pg.settings.driver === 'postgres')
          c.Storage.Database = { ...c.Storage.Database, Driver: 'postgres', Url: pg.settings.url, Schema: pg.settings.schema, PoolSize: 4 };
      };
      try {
        let s = await startTestServer({ dataDir: data, configure });
        await s.addTenant('t1');
        const k = await s.trustNewKey('t1', 'k');
        const tok = await s.token('signals-service', ['t1']);
        const put = await s.request('POST', '/api/v1/attestations', {
          token: tok,
          body: signedStatement(k, randomBytes(32).toString('hex')),
        });
        assert.equal(put.status, 201, put.text);
        const id = String((put.json as Json)['id']);
        const first = (await s.request('GET', `/api/v1/attestations/${id}/bundle`, { token: tok })).json as Json;
        const chain = JSON.stringify(((await s.request('GET', '/api/v1/log/trusted-root')).json as Json)['timestampAuthorities']);
        await s.stop();
        s = await startTestServer({ dataDir: data, configure });
        try {
          const again = (await s.request('GET', `/api/v1/attestations/${id}/bundle`, { token: tok })).json as Json;
          assert.deepEqual(signedTimestamp(again), signedTimestamp(first), 'the stored token, not a new one');
          assert.equal(JSON.stringify(((await s.request('GET', '/api/v1/log/trusted-root')).json as Json)['timestampAuthorities']), chain);
        } finally {
          await s.stop();
        }
      } finally {
        await pg?.cleanup();
        rmSync(data, { recursive: true, force: true });
      }
    });
  }
});
