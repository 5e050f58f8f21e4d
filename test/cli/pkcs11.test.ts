/**
 * `--key pkcs11:…` for `model sign`, `sign-blob` and `attest` against a fresh
 * SoftHSM2 token: each signature verifies with the public key PEM alone
 * (`model verify --key`, `verify-bundle --key`), and PIN handling works from
 * the URI, a pin-source file and --passphrase-env.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectExit, getString, jsonOut, runCli } from '../helpers/cli.js';
import { createSoftHsmToken, softHsmSkip, SOFTHSM_MODULE, type ImportedKey, type SoftHsmToken } from '../helpers/softhsm.js';

const skip = softHsmSkip();

describe('CLI signing with PKCS#11 keys on SoftHSM2', { skip }, () => {
  let token: SoftHsmToken;
  let dir: string;
  let env: Record<string, string>;
  const keys: ImportedKey[] = [];

  before(() => {
    token = createSoftHsmToken('cli-token');
    env = { ...token.env };
    dir = mkdtempSync(join(tmpdir(), 'attestry-p11cli-'));
    keys.push(
      token.importKey('ecdsa-p256', 'release-p256', 'a1'),
      token.importKey('ecdsa-p384', 'release-p384', 'a2'),
      token.importKey('ed25519', 'release-ed', 'a3'),
    );
  });
  after(() => {
    token?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('model sign with a token key verifies with model verify --key public.pem', async () => {
    for (const k of keys) {
      const model = join(dir, `model-${k.label}`);
      mkdirSync(join(model, 'sub'), { recursive: true });
      writeFileSync(join(model, 'weights.bin'), Buffer.alloc(4096, 3));
      writeFileSync(join(model, 'sub', 'config.json'), '{"layers":2}');
      const signed = jsonOut(
        expectExit(
          await runCli(['model', 'sign', '--model-dir', model, '--signer-id', 'hsm@example.com', '--key', k.uri, '--json'], { env }),
          0,
        ),
      );
      assert.equal(signed['algorithm'], k.algorithm);
      const verified = jsonOut(
        expectExit(await runCli(['model', 'verify', '--model-dir', model, '--key', k.publicPem, '--json'], { env }), 0),
      );
      assert.equal(verified['ok'], true);
      writeFileSync(join(model, 'weights.bin'), Buffer.alloc(4096, 4));
      expectExit(await runCli(['model', 'verify', '--model-dir', model, '--key', k.publicPem], { env }), 2);
    }
  });

  test('sign-blob and attest with token keys verify with verify-bundle --key public.pem', async () => {
    const file = join(dir, 'artifact.bin');
    writeFileSync(file, 'artifact bytes');
    const predicate = join(dir, 'predicate.json');
    writeFileSync(predicate, '{"scanner":"x","result":"clean"}');
    for (const k of keys) {
      const blob = join(dir, `${k.label}.blob.json`);
      const out = jsonOut(expectExit(await runCli(['sign-blob', file, '--key', k.uri, '--bundle', blob, '--json'], { env }), 0));
      assert.equal(out['keySource'], 'pkcs11');
      expectExit(
        await runCli(['verify-bundle', '--bundle', blob, '--artifact', file, '--key', k.publicPem, '--offline-key-only'], { env }),
        0,
      );
      const att = join(dir, `${k.label}.att.json`);
      expectExit(
        await runCli(
          ['attest', '--predicate', predicate, '--type', 'https://example.com/scan/v1', '--subject', file, '--key', k.uri, '--bundle', att],
          { env },
        ),
        0,
      );
      expectExit(
        await runCli(['verify-bundle', '--bundle', att, '--artifact', file, '--key', k.publicPem, '--offline-key-only'], { env }),
        0,
      );
      // Another key's public half does not verify it.
      const other = keys.find((x) => x !== k)!;
      expectExit(
        await runCli(['verify-bundle', '--bundle', blob, '--artifact', file, '--key', other.publicPem, '--offline-key-only'], { env }),
        2,
      );
    }
  });

  test('the PIN from a pin-source file or --passphrase-env; a wrong or missing PIN is a load error', async () => {
    const file = join(dir, 'pin-test.bin');
    writeFileSync(file, 'x');
    const pinFile = join(dir, 'pin');
    writeFileSync(pinFile, `${token.pin}\n`, { mode: 0o600 });
    const base = `pkcs11:token=${token.label};object=release-p256?module-path=${SOFTHSM_MODULE}`;
    expectExit(
      await runCli(['sign-blob', file, '--key', `${base}&pin-source=file:${pinFile}`, '--bundle', join(dir, 'a.json')], { env }),
      0,
    );
    expectExit(
      await runCli(['sign-blob', file, '--key', base, '--passphrase-env', 'HSM_PIN', '--bundle', join(dir, 'b.json')], {
        env: { ...env, HSM_PIN: token.pin },
      }),
      0,
    );
    const missing = expectExit(await runCli(['sign-blob', file, '--key', base, '--bundle', join(dir, 'c.json')], { env }), 1);
    assert.match(missing.stderr, /needs its user PIN/);
    const wrong = expectExit(
      await runCli(['sign-blob', file, '--key', `${base}&pin-value=000000`, '--bundle', join(dir, 'd.json'), '--json'], { env }),
      1,
    );
    const err = jsonOut(wrong);
    assert.equal(getString(err, 'code'), 'E_BAD_PASSPHRASE');
    assert.doesNotMatch(wrong.stdout, /000000/);
    expectExit(
      await runCli(
        ['model', 'sign', '--model-dir', dir, '--signer-id', 'x', '--key', 'pkcs11:object=release-p256', '--output', join(dir, 'e.sig')],
        { env },
      ),
      1,
    );
  });
});
