/**
 * Offline verification of an exported runtime-fact batch with real crypto:
 * an export directory is built as the service builds one
 * (test/helpers/signals-export.ts: real ECDSA and Ed25519 keys, a real log
 * with inclusion proofs and a signed checkpoint). It verifies;
 * then each file is tampered with, one at a time, and exactly the check that
 * reads it fails, with its code (exit 2 through the CLI).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateKeyPair, publicKeyToPem } from '../../src/crypto/keys.js';
import { EXPORT_FILES } from '../../src/signals/export-format.js';
import { readExportDir } from '../../src/signals/export.js';
import { verifySignalsExport, type SignalsCheckName, type SignalsVerifyReport } from '../../src/signals/verify-offline.js';
import { NoteSigner, parseVerifierKey } from '../../src/tlog/note.js';
import { jsonOut, runCli, show } from '../helpers/cli.js';
import { BATCH, buildExport, GRAPH, logKey, ORIGIN } from '../helpers/signals-export.js';

let root: string;
let good: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'attestry-signals-verify-'));
  good = join(root, 'good');
  mkdirSync(good);
  buildExport(good);
});
after(() => rmSync(root, { recursive: true, force: true }));

let copies = 0;
/** A copy of the good export with one file changed. */
function tampered(file: keyof typeof EXPORT_FILES, change: (text: string) => string): string {
  const dir = join(root, `t${++copies}`);
  cpSync(good, dir, { recursive: true });
  const path = join(dir, EXPORT_FILES[file]);
  const before = readFileSync(path, 'utf8');
  const after = change(before);
  assert.notEqual(after, before, `the tampering of ${file} changed nothing`);
  writeFileSync(path, after);
  return dir;
}

// Tampering reaches into arbitrary paths of the exported JSON; typing each path would say nothing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;
const edit = (mutate: (j: Loose) => void) => (text: string) => {
  const j = JSON.parse(text) as Loose;
  mutate(j);
  return JSON.stringify(j, null, 2);
};
/** A base64 value with its first byte changed. */
const flipB64 = (b64: string): string => {
  const b = Buffer.from(b64, 'base64');
  b[0] = b[0]! ^ 0x01;
  return b.toString('base64');
};

async function verifyDir(dir: string, key = logKey): Promise<SignalsVerifyReport> {
  return verifySignalsExport(await readExportDir(dir), { logKey: key });
}

function expectFailed(
  report: SignalsVerifyReport,
  check: SignalsCheckName,
  code: string,
  alsoFails: readonly SignalsCheckName[] = [],
): void {
  assert.equal(report.ok, false, JSON.stringify(report, null, 2));
  assert.equal(report.failure?.check, check, JSON.stringify(report.checks, null, 2));
  assert.equal(report.failure?.code, code, report.failure?.message);
  const failed = report.checks.filter((c) => c.status === 'failed').map((c) => c.name);
  assert.deepEqual(failed, [check, ...alsoFails], `only ${[check, ...alsoFails].join(', ')} fail`);
}

describe('verify-offline', () => {
  test('a complete export verifies: every check passes', async () => {
    const r = await verifyDir(good);
    assert.equal(r.ok, true, JSON.stringify(r, null, 2));
    assert.deepEqual(
      r.checks.map((c) => [c.name, c.status]),
      [
        ['blob-hash', 'passed'],
        ['provenance-record', 'passed'],
        ['attestation-signature', 'passed'],
        ['attestation-log-inclusion', 'passed'],
        ['manifest-signature', 'passed'],
        ['manifest-log-inclusion', 'passed'],
      ],
    );
    assert.equal(r.batchId, BATCH);
    assert.equal(r.callgraphId, GRAPH);
  });

  // A tampering may also break a later link that reads the same file (alsoFails); the first failure names the link tampered with.
  const cases: [string, keyof typeof EXPORT_FILES, (t: string) => string, SignalsCheckName, string, SignalsCheckName[]?][] = [
    ['a fact line changed', 'facts', (t) => t.replace('"hitCount":3', '"hitCount":4'), 'blob-hash', 'E_DIGEST_MISMATCH'],
    ['the provenance fact count', 'provenance', edit((j) => (j['factCount'] = 3)), 'provenance-record', 'E_DIGEST_MISMATCH'],
    [
      'the provenance callgraph',
      'provenance',
      edit((j) => (j['callgraphId'] = '01JEXAMPLEGRAPH00000000002')),
      'provenance-record',
      'E_DIGEST_MISMATCH',
      ['manifest-signature'], // the manifest is then of another callgraph than the batch names
    ],
    [
      'the attestation payload re-serialised (same statement, other bytes)',
      'attestation',
      edit(
        (j) =>
          (j['payload'] = Buffer.from(JSON.stringify(JSON.parse(Buffer.from(String(j['payload']), 'base64').toString()), null, 1)).toString(
            'base64',
          )),
      ),
      'attestation-signature',
      'E_SIGNATURE_INVALID',
      ['attestation-log-inclusion'], // the log entry commits to the payload's hash
    ],
    [
      'the attestation signature',
      'attestation',
      edit((j) => (j['signatures'][0]['sig'] = flipB64(j['signatures'][0]['sig']))),
      'attestation-signature',
      'E_SIGNATURE_INVALID',
    ],
    [
      'an inclusion proof hash of the attestation',
      'attestationBundle',
      edit((j) => {
        const p = j['verificationMaterial']['tlogEntries'][0]['inclusionProof'];
        p['hashes'][0] = flipB64(p['hashes'][0]);
      }),
      'attestation-log-inclusion',
      'E_SIGNATURE_INVALID',
    ],
    [
      'the checkpoint in the attestation bundle',
      'attestationBundle',
      edit((j) => {
        const cp = j['verificationMaterial']['tlogEntries'][0]['inclusionProof']['checkpoint'];
        cp['envelope'] = String(cp['envelope']).replace('\n2\n', '\n3\n');
      }),
      'attestation-log-inclusion',
      'E_SIGNATURE_INVALID',
    ],
    ['the manifest node count', 'manifest', edit((j) => (j['nodeCount'] = 3)), 'manifest-signature', 'E_SIGNATURE_INVALID'],
    [
      'the manifest envelope signature',
      'manifestEnvelope',
      edit((j) => (j['signatures'][0]['sig'] = flipB64(j['signatures'][0]['sig']))),
      'manifest-signature',
      'E_SIGNATURE_INVALID',
    ],
    [
      'an inclusion proof hash of the manifest',
      'manifestBundle',
      edit((j) => {
        const p = j['verificationMaterial']['tlogEntries'][0]['inclusionProof'];
        p['hashes'][0] = flipB64(p['hashes'][0]);
      }),
      'manifest-log-inclusion',
      'E_SIGNATURE_INVALID',
    ],
  ];
  for (const [what, file, change, check, code, alsoFails] of cases) {
    test(`tampered ${EXPORT_FILES[file]} (${what}) → ${check} fails with ${code}`, async () => {
      expectFailed(await verifyDir(tampered(file, change)), check, code, alsoFails);
    });
  }

  test('another key in keys.json → both signatures fail to verify', async () => {
    const other = publicKeyToPem(generateKeyPair('ecdsa-p256').publicKey);
    const r = await verifyDir(
      tampered(
        'keys',
        edit((j) => (j['keys'][0]['publicKeyPem'] = other)),
      ),
    );
    assert.equal(r.failure?.check, 'attestation-signature');
    assert.equal(r.failure?.code, 'E_SIGNATURE_INVALID');
    assert.equal(r.checks.find((c) => c.name === 'manifest-signature')?.status, 'failed');
  });

  test('a log key other than the pinned one → the log checks fail', async () => {
    const wrong = parseVerifierKey(new NoteSigner(ORIGIN, generateKeyPair('ed25519').privateKey).verifierKey);
    const r = await verifyDir(good, wrong);
    assert.equal(r.failure?.check, 'attestation-log-inclusion');
    assert.equal(r.failure?.code, 'E_SIGNATURE_INVALID');
    assert.equal(r.checks.find((c) => c.name === 'manifest-log-inclusion')?.status, 'failed');
  });
});

describe('attestry signals verify --dir', () => {
  test('exit 0 with a --json report on the good export; exit 2 naming the check on a tampered one', async () => {
    const ok = await runCli(['signals', 'verify', '--batch', BATCH, '--dir', good, '--log-key', join(good, 'log.vkey'), '--json']);
    assert.equal(ok.code, 0, show(ok));
    const report = jsonOut(ok);
    assert.equal(report['ok'], true);
    assert.equal((report['checks'] as unknown[]).length, 6);

    const bad = tampered(
      'manifest',
      edit((j) => (j['edgeCount'] = 9)),
    );
    const failed = await runCli(['signals', 'verify', '--batch', BATCH, '--dir', bad, '--log-key', join(good, 'log.vkey'), '--json']);
    assert.equal(failed.code, 2, show(failed));
    const j = jsonOut(failed);
    assert.equal(j['ok'], false);
    assert.equal(j['code'], 'E_SIGNATURE_INVALID');
    assert.match(String(j['message']), /^manifest-signature: /);

    const human = await runCli(['signals', 'verify', '--batch', BATCH, '--dir', bad, '--log-key', join(good, 'log.vkey')]);
    assert.equal(human.code, 2, show(human));
    assert.match(human.stdout, /manifest-signature/);
  });

  test('the export must be of the batch asked for', async () => {
    const r = await runCli([
      'signals',
      'verify',
      '--batch',
      '01JEXAMPLEBATCH00000000009',
      '--dir',
      good,
      '--log-key',
      join(good, 'log.vkey'),
      '--json',
    ]);
    assert.equal(r.code, 2, show(r));
    assert.equal(jsonOut(r)['code'], 'E_DIGEST_MISMATCH');
  });
});
