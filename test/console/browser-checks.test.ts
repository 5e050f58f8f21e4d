/**
 * The console's in-browser checks (console/src/parts/note.ts and merkle.ts),
 * run here under Node's WebCrypto: bundled on the fly with esbuild, as Vite
 * builds them for the page. The inclusion-proof root against the RFC 6962
 * vectors (test/fixtures/vectors/rfc6962.json) and the server's own proofs;
 * the checkpoint signature against notes the log signer signs, with keys
 * whose base64 holds '+' (a vkey split at every '+' broke on them, found by
 * the browser test); a changed note, a stranger's key and malformed hashes
 * refused.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { build } from 'esbuild';
import { signCheckpoint } from '../../src/tlog/checkpoint.js';
import { leafHash } from '../../src/tlog/hash.js';
import { NoteSigner } from '../../src/tlog/note.js';

interface BrowserChecks {
  rootFromInclusionProof(index: number, size: number, leafHex: string, proofHex: readonly string[]): Promise<string>;
  checkpointOf(note: string): { origin: string; size: number; rootHex: string };
  logSignatureVerifies(note: string, vkey: string): Promise<boolean>;
  leafHashOf(bodyBase64: string): Promise<string>;
}

async function load(): Promise<BrowserChecks> {
  const out = await build({
    stdin: {
      contents: "export * from './parts/merkle'; export * from './parts/note';",
      resolveDir: join(process.cwd(), 'console', 'src'),
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    write: false,
  });
  return (await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0]!.text).toString('base64')}`)) as BrowserChecks;
}
const checks = await load();

const V = JSON.parse(readFileSync(join('test', 'fixtures', 'vectors', 'rfc6962.json'), 'utf8')) as {
  leaf_inputs_hex: string[];
  roots: { by_size: string[] };
  inclusion: { index: number; size: number; proof: string[] }[];
};

test('inclusion proofs lead to the RFC 6962 roots; a wrong or malformed step does not', async () => {
  assert.ok(V.inclusion.length >= 5);
  for (const p of V.inclusion) {
    const leaf = leafHash(Buffer.from(V.leaf_inputs_hex[p.index]!, 'hex')).toString('hex');
    assert.equal(
      await checks.rootFromInclusionProof(p.index, p.size, leaf, p.proof),
      V.roots.by_size[p.size],
      `leaf ${p.index} of ${p.size}`,
    );
    if (p.proof.length > 0) {
      const bad = [...p.proof];
      bad[0] = bad[0]!.replace(/^./, (c) => (c === '0' ? '1' : '0'));
      assert.notEqual(await checks.rootFromInclusionProof(p.index, p.size, leaf, bad), V.roots.by_size[p.size]);
      await assert.rejects(checks.rootFromInclusionProof(p.index, p.size, leaf, [...p.proof, p.proof[0]!]), /longer than the tree/);
    }
  }
  await assert.rejects(checks.rootFromInclusionProof(0, 1, 'zz'.repeat(32), []), /not a SHA-256 hash/);
  await assert.rejects(checks.rootFromInclusionProof(3, 3, '00'.repeat(32), []), /outside a tree of 3/);
});

test('the leaf hash of an entry body is SHA-256(0x00 ‖ body), as the server computes it', async () => {
  for (const input of V.leaf_inputs_hex) {
    const body = Buffer.from(input, 'hex');
    assert.equal(await checks.leafHashOf(body.toString('base64')), leafHash(body).toString('hex'));
  }
});

test('the checkpoint signature verifies with the log key, for keys with "+" in their base64; a changed note or another key does not', async () => {
  let withPlus = 0;
  for (let i = 0; i < 40; i++) {
    const signer = new NoteSigner('attestry.local/log', generateKeyPairSync('ed25519').privateKey);
    if (signer.verifierKey.split('+').length > 3) withPlus += 1;
    // A tree of one entry: its root is that entry's leaf hash.
    const note = signCheckpoint(signer, 1, leafHash(Buffer.from(`entry ${i}`)));
    assert.equal(await checks.logSignatureVerifies(note, signer.verifierKey), true, signer.verifierKey);
    const cp = checks.checkpointOf(note);
    assert.deepEqual([cp.origin, cp.size], ['attestry.local/log', 1]);
    const changed = note.replace('\n1\n', '\n2\n');
    assert.equal(await checks.logSignatureVerifies(changed, signer.verifierKey), false);
    const other = new NoteSigner('attestry.local/log', generateKeyPairSync('ed25519').privateKey);
    assert.equal(await checks.logSignatureVerifies(note, other.verifierKey), false);
  }
  assert.ok(withPlus > 0, 'some keys had a "+" in their base64');
  assert.throws(() => checks.checkpointOf('no checkpoint here'), /not a checkpoint/);
});
