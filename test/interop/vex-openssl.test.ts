/**
 * An independent check of VEX attestation signatures: the DSSE
 * pre-authentication encoding is computed here from the spec's formula
 * (https://github.com/secure-systems-lab/dsse/blob/master/protocol.md,
 * `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`), not with
 * src/crypto/dsse.ts, and the `openssl` CLI verifies the envelope's
 * signature over it with the signer's public key PEM, for Ed25519 and
 * ECDSA P-256 (SHA-256, DER signature). A flipped byte must fail. Skips with
 * an install hint where openssl is missing; fails instead under
 * ATTESTRY_REQUIRE_TOOLS=1.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAiOpenVex } from '../../src/ai/openvex.js';
import { buildVexStatement, parseVexAttestation, signVexAttestation } from '../../src/ai/vex-attestation.js';
import { sha256Digest } from '../../src/core/digest.js';
import { generateKeyPair, publicKeyToPem } from '../../src/crypto/keys.js';
import { createSigner } from '../../src/crypto/signer.js';
import { toolSkip } from '../helpers/tools.js';

const skip = toolSkip('openssl', 'openssl');
let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'attestry-vex-openssl-'));
});
after(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** True when openssl exits 0 (it prints "Verified OK" / "Signature Verified Successfully"), false when it refuses. */
function opensslVerifies(args: string[]): boolean {
  try {
    const out = execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    assert.match(out, /Verified (OK|Successfully)/);
    return true;
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    return false;
  }
}

/** PAE from the DSSE spec, LEN in ASCII decimal bytes; written out here so dsse.ts is not checked against itself. */
function specPae(payloadType: string, body: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from('DSSEv1 '),
    Buffer.from(String(type.length)),
    Buffer.from(' '),
    type,
    Buffer.from(' '),
    Buffer.from(String(body.length)),
    Buffer.from(' '),
    body,
  ]);
}

/** Minimal DER check of an ECDSA-Sig-Value: SEQUENCE { INTEGER r, INTEGER s }, short-form lengths (P-256 fits). */
function assertDerEcdsa(sig: Buffer): void {
  assert.equal(sig[0], 0x30, 'a DER SEQUENCE');
  assert.equal(sig[1], sig.length - 2, 'the SEQUENCE spans the signature');
  assert.equal(sig[2], 0x02, 'INTEGER r');
  const rLen = sig[3] ?? 0;
  assert.ok(rLen >= 1 && rLen <= 33);
  assert.equal(sig[4 + rLen], 0x02, 'INTEGER s');
  assert.equal(5 + rLen + 1 + (sig[5 + rLen] ?? 0), sig.length, 'nothing after s');
}

function signedVex(algorithm: 'ed25519' | 'ecdsa-p256') {
  const pair = generateKeyPair(algorithm);
  const document = buildAiOpenVex({
    claim: {
      vulnerability: 'CVE-2026-0002',
      productPurl: 'pkg:oci/app@sha256%3A' + 'ab'.repeat(32),
      symbol: 'app:handler',
      status: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
      source: 'output',
      text: 'The handler is never reached — no route maps to it.',
    },
    tenant: 'acme',
    artifactId: 'ai-artifact-20261201-01KB0000000000000000000001',
    author: 'attestry',
    timestamp: '2026-12-02T10:00:00Z',
    approvedBy: ['tok-reviewer'],
    modelId: 'tiny-model',
  });
  const { envelope } = signVexAttestation(buildVexStatement(document, sha256Digest('image')), createSigner(pair.privateKey));
  return { pair, envelope };
}

for (const algorithm of ['ed25519', 'ecdsa-p256'] as const) {
  test(`openssl verifies a VEX attestation signed with ${algorithm} over the spec's PAE`, { skip }, () => {
    const { pair, envelope } = signedVex(algorithm);
    // The envelope is a VEX attestation by our own reading too, before openssl sees its signature.
    parseVexAttestation(envelope);
    const body = Buffer.from(envelope.payload, 'base64');
    const sig = Buffer.from(envelope.signatures[0]?.sig ?? '', 'base64');
    const pae = join(dir, `${algorithm}.pae`);
    const sigFile = join(dir, `${algorithm}.sig`);
    const pub = join(dir, `${algorithm}.pub.pem`);
    writeFileSync(pae, specPae(envelope.payloadType, body));
    writeFileSync(sigFile, sig);
    writeFileSync(pub, publicKeyToPem(pair.publicKey));
    const verify =
      algorithm === 'ed25519'
        ? ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-in', pae, '-sigfile', sigFile]
        : ['dgst', '-sha256', '-verify', pub, '-signature', sigFile, pae];
    if (algorithm === 'ed25519') assert.equal(sig.length, 64, 'an Ed25519 signature is 64 bytes');
    else assertDerEcdsa(sig);
    assert.equal(opensslVerifies(verify), true, `openssl ${verify.join(' ')}`);

    // One flipped byte of the signed message (inside the JSON body) and openssl refuses.
    const flipped = specPae(envelope.payloadType, body);
    const at = flipped.length - Math.floor(body.length / 2);
    flipped[at] = (flipped[at] ?? 0) ^ 0x01;
    writeFileSync(pae, flipped);
    assert.equal(opensslVerifies(verify), false, 'a flipped message byte must not verify');

    // And one flipped byte of the signature.
    writeFileSync(pae, specPae(envelope.payloadType, body));
    const badSig = Buffer.from(sig);
    badSig[badSig.length - 1] = (badSig[badSig.length - 1] ?? 0) ^ 0x01;
    writeFileSync(sigFile, badSig);
    assert.equal(opensslVerifies(verify), false, 'a flipped signature byte must not verify');
  });
}
