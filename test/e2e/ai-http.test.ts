/**
 * Seed 002's AI endpoints through the real server, on SQLite and on
 * PostgreSQL, with real inference on the repo's tiny GGUF model: explain
 * (the seed's request plus the finding), verify (valid, tampered, swapped
 * manifest), replay by manifest id (identical, and a changed seed named),
 * the stored artifact with its audit history, the audit trail and its
 * verification; roles and tenants enforced on each route.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonOut, runCli, show } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { json, signalsBackends } from '../helpers/signals-http.js';
import { FINDING, tinyModelPath } from '../helpers/tiny-model.js';

const PREDICATE_TYPE = 'https://stellaops.org/attestation/ai-artifact/v1';
const DIGEST = `sha256:${'ab'.repeat(32)}`;
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => v as Obj;

function explainBody(extra: Obj = {}): Obj {
  return {
    findingId: FINDING.id,
    artifactDigest: DIGEST,
    finding: FINDING,
    context: [{ name: 'advisory.txt', content: 'merge is vulnerable' }],
    options: { generateAttestation: true, signAttestation: true, parameters: { maxTokens: 24 } },
    ...extra,
  };
}

for (const backend of await signalsBackends()) {
  describe(`AI endpoints on ${backend.name}`, { skip: backend.skip }, () => {
    let srv: TestServer;
    let cleanup: (() => Promise<void>) | undefined;
    let ai: string;
    let auditor: string;
    let scanner: string;
    let otherTenant: string;
    let first: Obj;
    let second: Obj;

    before(async () => {
      const db = await backend.open();
      cleanup = db.cleanup;
      srv = await startTestServer({
        env: db.env,
        configure: (c) => {
          c.advisoryAi.inference.local.modelPath = tinyModelPath();
          c.advisoryAi.inference.local.threads = 1;
        },
      });
      await srv.addTenant('t1');
      await srv.addTenant('t2');
      ai = await srv.token('ai-service', ['t1']);
      auditor = await srv.token('audit-service', ['t1']);
      scanner = await srv.token('scanner-worker', ['t1']);
      otherTenant = await srv.token('ai-service', ['t2']);
      const r1 = await srv.request('POST', '/api/v1/advisory/explain', { token: ai, body: explainBody() });
      assert.equal(r1.status, 200, r1.text);
      first = json(r1);
      assert.equal(r1.headers.get('location'), `/api/v1/attestation/${String(first['artifactId'])}`);
      const r2 = await srv.request('POST', '/api/v1/advisory/explain', {
        token: ai,
        body: explainBody({ options: { artifactType: 'vex_draft', parameters: { maxTokens: 8 } } }),
      });
      assert.equal(r2.status, 200, r2.text);
      second = json(r2);
    });
    after(async () => {
      await srv?.stop();
      await cleanup?.();
    });

    test("explain answers in the seed's shape: explanation, attestation {predicateType, predicate, signature}, replayManifestId", () => {
      assert.match(String(first['explanation']), /[a-z]+ [a-z]+/);
      const a = obj(first['attestation']);
      assert.equal(a['predicateType'], PREDICATE_TYPE);
      const p = obj(a['predicate']);
      assert.equal(p['artifactId'], first['artifactId']);
      assert.equal(p['authority'], 'ai-generated');
      assert.equal(obj(a['signature'])['keyid'], 'attestry-ai-signer');
      assert.equal(obj(a['envelope'])['payloadType'], 'application/vnd.stellaops.ai-attestation+json');
      assert.match(String(first['replayManifestId']), /^replay-\d{8}-[0-9A-Z]{26}$/);
      assert.equal(obj(obj(first['replayManifest'])['finding'])['artifactDigest'], DIGEST);
      assert.equal(typeof first['logIndex'], 'number');
      assert.equal(second['authority'], 'ai-draft-requires-review');
    });

    test('explain refuses what it cannot do, naming the field or the rule', async () => {
      const noFinding = await srv.request('POST', '/api/v1/advisory/explain', {
        token: ai,
        body: { findingId: 'finding-123', artifactDigest: DIGEST },
      });
      assert.equal(noFinding.status, 400);
      assert.match(String(json(noFinding)['message']), /finding: attestry keeps no findings database/);
      const badFinding = await srv.request('POST', '/api/v1/advisory/explain', {
        token: ai,
        body: explainBody({ finding: { ...FINDING, purl: 'not a purl' } }),
      });
      assert.equal(badFinding.status, 400);
      assert.match(String(json(badFinding)['message']), /purl/);
      const mismatch = await srv.request('POST', '/api/v1/advisory/explain', { token: ai, body: explainBody({ findingId: 'other' }) });
      assert.equal(mismatch.status, 400);
      const hot = await srv.request('POST', '/api/v1/advisory/explain', {
        token: ai,
        body: explainBody({ options: { parameters: { temperature: 0.8 } } }),
      });
      assert.equal(hot.status, 422, hot.text);
      assert.equal(json(hot)['code'], 'E_NONDETERMINISTIC');
      const unknown = await srv.request('POST', '/api/v1/advisory/explain', { token: ai, body: explainBody({ modelPath: '/etc/passwd' }) });
      assert.equal(unknown.status, 400);
      assert.match(String(json(unknown)['message']), /unknown field "modelPath"/);
    });

    test('roles and tenants: a scanner may not explain, another tenant sees nothing, no token is 401', async () => {
      assert.equal((await srv.request('POST', '/api/v1/advisory/explain', { token: scanner, body: explainBody() })).status, 403);
      assert.equal((await srv.request('POST', '/api/v1/advisory/explain', { body: explainBody() })).status, 401);
      const foreign = await srv.request('POST', '/api/v1/advisory/explain', { token: otherTenant, body: explainBody({ tenant: 't1' }) });
      assert.equal(foreign.status, 403);
      const peek = await srv.request('GET', `/api/v1/attestation/${String(first['artifactId'])}`, { token: otherTenant });
      assert.equal(peek.status, 404);
      assert.equal(
        (await srv.request('POST', '/api/v1/advisory/replay', { token: auditor, body: { manifestId: first['replayManifestId'] } })).status,
        403,
      );
    });

    test('verify: the stored attestation is valid with every check named; one changed byte of the payload is not', async () => {
      const envelope = obj(obj(first['attestation'])['envelope']);
      const ok = await srv.request('POST', '/api/v1/attestation/verify', {
        token: auditor,
        body: { attestation: envelope, options: { verifySignature: true } },
      });
      assert.equal(ok.status, 200, ok.text);
      const v = json(ok);
      assert.equal(v['valid'], true, ok.text);
      const names = (v['checks'] as Obj[]).map((c) => c['name']);
      for (const n of ['signature', 'predicate-schema', 'manifest-hash', 'prompt-hashes', 'context-hashes', 'output-hash', 'log-inclusion'])
        assert.ok(names.includes(n), `check ${n} in ${names.join(',')}`);
      const payload = Buffer.from(String(envelope['payload']), 'base64').toString('utf8').replace('ai-generated', 'human-approved');
      const tampered = { ...envelope, payload: Buffer.from(payload).toString('base64') };
      const bad = json(await srv.request('POST', '/api/v1/attestation/verify', { token: auditor, body: { attestation: tampered } }));
      assert.equal(bad['valid'], false);
      assert.equal(bad['failedCheck'], 'signature');
    });

    test("verify: the other artifact's replay manifest does not pass for this attestation", async () => {
      const envelope = obj(obj(first['attestation'])['envelope']);
      const swapped = json(
        await srv.request('POST', '/api/v1/attestation/verify', {
          token: auditor,
          body: { attestation: envelope, manifest: second['replayManifest'] },
        }),
      );
      assert.equal(swapped['valid'], false);
      assert.match(String(swapped['failedCheck']), /^manifest-/);
    });

    test('replay by manifest id reproduces byte for byte; a changed seed is named as the cause', async () => {
      const same = await srv.request('POST', '/api/v1/advisory/replay', { token: ai, body: { manifestId: first['replayManifestId'] } });
      assert.equal(same.status, 200, same.text);
      assert.equal(json(same)['status'], 'identical');
      assert.equal(json(same)['replayedHash'], json(same)['originalHash']);
      const other = json(
        await srv.request('POST', '/api/v1/advisory/replay', {
          token: ai,
          body: { manifestId: first['replayManifestId'], overrides: { parameters: { seed: 7 } } },
        }),
      );
      assert.ok(
        (other['causes'] as Obj[]).some((c) => c['cause'] === 'seed'),
        JSON.stringify(other['causes']),
      );
      const neither = await srv.request('POST', '/api/v1/advisory/replay', { token: ai, body: {} });
      assert.equal(neither.status, 400);
      const missing = await srv.request('POST', '/api/v1/advisory/replay', {
        token: ai,
        body: { manifestId: `replay-20260101-${'0'.repeat(26)}` },
      });
      assert.ok([400, 404].includes(missing.status), missing.text);
    });

    test('GET /api/v1/attestation/{id}: attestation, replay manifest and audit history', async () => {
      const r = await srv.request('GET', `/api/v1/attestation/${String(first['artifactId'])}`, { token: auditor });
      assert.equal(r.status, 200, r.text);
      const a = json(r);
      assert.equal(obj(a['attestation'])['predicateType'], PREDICATE_TYPE);
      assert.equal(obj(a['replayManifest'])['manifestId'], first['replayManifestId']);
      const ops = (a['audit'] as Obj[]).map((x) => x['operation']);
      assert.ok(ops.includes('ai_generation') && ops.includes('ai_verification') && ops.includes('ai_replay'), ops.join(','));
      assert.equal((await srv.request('GET', '/api/v1/attestation/not-an-id', { token: auditor })).status, 400);
    });

    test('the audit trail: filtered by artifact and time, hash-chained, verified with its head logged', async () => {
      const all = json(await srv.request('GET', '/api/v1/audit', { token: auditor }));
      const records = all['records'] as Obj[];
      assert.ok(records.length >= 5, `records: ${records.length}`);
      records.forEach((rec, i) => {
        assert.equal(rec['tenant'], 't1');
        assert.equal(rec['sequence'], i + 1);
        if (i > 0) assert.equal(rec['previousDigest'], records[i - 1]?.['digest']);
      });
      const gen = records.find((x) => x['operation'] === 'ai_generation');
      assert.equal(gen?.['role'], 'ai-service');
      const one = json(await srv.request('GET', `/api/v1/audit?artifactId=${String(second['artifactId'])}`, { token: auditor }));
      assert.ok((one['records'] as Obj[]).every((x) => x['artifactId'] === second['artifactId']));
      const future = json(await srv.request('GET', '/api/v1/audit?since=2999-01-01T00:00:00Z', { token: auditor }));
      assert.equal(future['count'], 0);
      const badSince = await srv.request('GET', '/api/v1/audit?since=yesterday', { token: auditor });
      assert.equal(badSince.status, 400);
      assert.match(String(json(badSince)['message']), /since/);
      const v = json(await srv.request('GET', '/api/v1/audit/verify', { token: auditor }));
      assert.equal(v['ok'], true, JSON.stringify(v));
      assert.equal(typeof v['headLogIndex'], 'number');
      assert.equal((await srv.request('GET', '/api/v1/audit', { token: scanner })).status, 403);
    });

    // The CLI's client is the same on every back end: one run (SQLite) is enough.
    if (backend.name === 'SQLite')
      test('the CLI with --server: explain, attest verify, replay and audit verify run on the service', async () => {
        const work = mkdtempSync(join(tmpdir(), 'attestry-ai-cli-'));
        try {
          const finding = join(work, 'finding.json');
          writeFileSync(finding, JSON.stringify(FINDING));
          const env = { ATTESTRY_TOKEN: ai };
          const cli = (args: string[]) => runCli([...args, '--server', srv.url, '--json'], { env, cwd: work, timeoutMs: 60_000 });
          const ex = await cli(['advisory', 'explain', FINDING.id, '--finding', finding, '--max-tokens', '12', '--attest', '--sign']);
          assert.equal(ex.code, 0, show(ex));
          const made = jsonOut(ex);
          assert.equal(made['keyId'], 'attestry-ai-signer');
          const attestation = String(made['attestationPath']);
          assert.ok(attestation.startsWith(join(work, 'evidence', 'ai-attestations')), attestation);
          const ver = await cli(['attest', 'verify', attestation]);
          assert.equal(ver.code, 0, show(ver));
          assert.equal(jsonOut(ver)['valid'], true);
          const rep = await cli(['advisory', 'replay', '--manifest', String(made['replayManifestPath']), '--detect-divergence']);
          assert.equal(rep.code, 0, show(rep));
          assert.equal(jsonOut(rep)['status'], 'identical');
          const aud = await runCli(['audit', 'verify', '--server', srv.url, '--json'], { env: { ATTESTRY_TOKEN: auditor } });
          assert.equal(aud.code, 0, show(aud));
          const local = await cli(['advisory', 'replay', '--manifest', String(made['replayManifestPath']), '--model', tinyModelPath()]);
          assert.equal(local.code, 1, show(local));
          assert.match(String(jsonOut(local)['message']), /--server the service generates with its configured one/);
          const threads = await cli(['advisory', 'replay', '--manifest', String(made['replayManifestPath']), '--threads', '1']);
          assert.equal(threads.code, 1, show(threads));
          assert.match(String(jsonOut(threads)['message']), /--threads applies to --model/);
          const denied = await runCli(['advisory', 'explain', FINDING.id, '--finding', finding, '--server', srv.url, '--json'], {
            env: { ATTESTRY_TOKEN: scanner },
          });
          assert.equal(denied.code, 1, show(denied));
          assert.equal(jsonOut(denied)['code'], 'E_FORBIDDEN');
        } finally {
          rmSync(work, { recursive: true, force: true });
        }
      });

    test('the OpenAPI document lists the AI routes', async () => {
      const doc = json(await srv.request('GET', '/openapi.json'));
      const paths = Object.keys(obj(doc['paths']));
      for (const p of [
        '/api/v1/advisory/explain',
        '/api/v1/attestation/verify',
        '/api/v1/advisory/replay',
        '/api/v1/attestation/{id}',
        '/api/v1/audit',
      ])
        assert.ok(paths.includes(p), p);
      // A default in the body schema would be filled in by Fastify's ajv and override the configured value (topP did).
      const explain = JSON.stringify(obj(obj(obj(doc['paths'])['/api/v1/advisory/explain'])['post'])['requestBody']);
      assert.ok(explain.includes('"maxTokens"'), 'the parameters are documented');
      assert.ok(!explain.includes('"default"'), `no defaults in the explain body: ${explain.slice(0, 200)}`);
    });
  });
}
