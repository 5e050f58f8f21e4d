/**
 * The local review flow of issue 17 through the real CLI on one data
 * directory: `advisory explain --type vex_draft` → `review list` → two
 * reviewers (`--reviewer`) approve (the config asks for two distinct ones)
 * → `vex publish --output --attestation` → `attest verify --chain` exits 0,
 * and the same VEX file with one character of its payload flipped exits 2
 * naming the failed check. Seven CLI runs in all (each costs about a second).
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { getString, jsonOut, runCli, show } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/model.js';
import { VEX_FINDING, type Obj } from '../helpers/review-http.js';
import { tinyModelPath } from '../helpers/tiny-model.js';

let dir: string;
let dataDir: string;
let artifactId: string;

// Two approvals, from reviewers other than the one who asked (the CLI's explain acts as cli:$USER, here cli:local).
const env = { ATTESTRY__advisoryAi__review__approvalsRequired: '2', ATTESTRY__advisoryAi__review__requireDistinctReviewer: 'true' };
const cli = (args: string[], json = true) => runCli([...args, '--data-dir', dataDir, ...(json ? ['--json'] : [])], { env, cwd: dir });

before(async () => {
  dir = makeTempDir('attestry-review-cli-');
  dataDir = join(dir, 'data');
  writeFileSync(join(dir, 'finding.json'), JSON.stringify(VEX_FINDING));
  const r = await cli([
    'advisory',
    'explain',
    VEX_FINDING.id,
    '--finding',
    'finding.json',
    '--type',
    'vex_draft',
    '--model',
    tinyModelPath(),
    '--max-tokens',
    '8',
  ]);
  assert.equal(r.code, 0, show(r));
  assert.equal(jsonOut(r)['authority'], 'ai-draft-requires-review');
  artifactId = getString(jsonOut(r), 'artifactId');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('review list shows the vex_draft as pending', async () => {
  const r = await cli(['review', 'list', '--type', 'vex_draft']);
  assert.equal(r.code, 0, show(r));
  const items = jsonOut(r)['items'] as Obj[];
  assert.deepEqual(
    items.map((i) => [i['artifactId'], i['decision'], i['authority'], i['createdBy']]),
    [[artifactId, 'pending', 'ai-draft-requires-review', 'cli:local']],
  );
});

test('two local reviewers approve: the first one line of human output, the second makes it human-approved', async () => {
  const first = await cli(['review', 'approve', artifactId, '--reviewer', 'alice', '--comment', 'call graph checked'], false);
  assert.equal(first.code, 0, show(first));
  assert.equal(first.stdout, `approved ${artifactId} (1 of 2): ai-draft-requires-review\n`);
  const second = await cli(['review', 'approve', artifactId, '--reviewer', 'bob']);
  assert.equal(second.code, 0, show(second));
  const item = jsonOut(second)['item'] as Obj;
  assert.equal(item['authority'], 'human-approved');
  assert.deepEqual((item['approvals'] as Obj)['reviewers'], ['cli:alice', 'cli:bob']);
});

test('vex publish writes the OpenVEX document and its attestation; attest verify --chain accepts it, a flipped character is exit 2', async () => {
  const pub = await cli(['vex', 'publish', artifactId, '--output', 'vex.json', '--attestation', 'vex.dsse.json']);
  assert.equal(pub.code, 0, show(pub));
  assert.equal(jsonOut(pub)['created'], true);
  const doc = JSON.parse(readFileSync(join(dir, 'vex.json'), 'utf8')) as { '@id': string; statements: Obj[] };
  assert.equal(doc['@id'], jsonOut(pub)['vexId']);
  assert.equal(doc.statements[0]?.['status'], 'not_affected');
  assert.equal(doc.statements[0]?.['justification'], 'vulnerable_code_not_in_execute_path');

  const ok = await cli(['attest', 'verify', '--chain', 'vex.dsse.json']);
  assert.equal(ok.code, 0, show(ok));
  assert.equal(jsonOut(ok)['valid'], true);
  assert.equal(jsonOut(ok)['artifactId'], artifactId);

  // One base64 character of the payload changed, in the middle: whatever it decodes to, the signature no longer covers it.
  const envelope = JSON.parse(readFileSync(join(dir, 'vex.dsse.json'), 'utf8')) as { payload: string };
  const p = envelope.payload;
  const at = Math.floor(p.length / 2);
  const tampered = { ...envelope, payload: p.slice(0, at) + (p[at] === 'A' ? 'B' : 'A') + p.slice(at + 1) };
  writeFileSync(join(dir, 'tampered.dsse.json'), JSON.stringify(tampered));
  const bad = await cli(['attest', 'verify', '--chain', 'tampered.dsse.json']);
  assert.equal(bad.code, 2, show(bad));
  assert.equal(jsonOut(bad)['failedCheck'], 'vex-signature');
  assert.match(getString(jsonOut(bad), 'message'), /^vex-signature: /);
});
