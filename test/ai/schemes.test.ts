/**
 * The four signing schemes of seed 002 (`advisoryAi.attestations.cryptoScheme`)
 * end to end: the AI key is made with the configured scheme on first start,
 * the attestation is signed with it and verifies against the keyring and
 * against the exported public key PEM; a changed signature byte does not; a
 * stored key of another scheme is refused naming the setting.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { aiModule } from '../../src/app/ai-module.js';
import { openApp, type App } from '../../src/app/open-app.js';
import type { Principal } from '../../src/authz/principal.js';
import { loadConfig, type ResolvedConfig } from '../../src/core/config.js';
import { decodeBase64 } from '../../src/crypto/dsse.js';
import { makeTempDir } from '../helpers/model.js';
import { FINDING, tinyModelPath } from '../helpers/tiny-model.js';

const AI: Principal = { tokenId: 'test-ai', role: 'ai-service', tenants: ['default'] };
const SCHEMES = ['ed25519', 'ecdsa-p256', 'sm2', 'gost3410'] as const;
/** What each scheme's signature looks like: Ed25519 64 bytes, ECDSA and SM2 DER SEQUENCE{r, s}, GOST 64 bytes s ‖ r. */
const SIGNATURE_SHAPE: Record<(typeof SCHEMES)[number], (sig: Buffer) => boolean> = {
  ed25519: (s) => s.length === 64,
  'ecdsa-p256': (s) => s[0] === 0x30 && s.length >= 8 && s.length <= 72,
  sm2: (s) => s[0] === 0x30 && s.length >= 8 && s.length <= 72,
  gost3410: (s) => s.length === 64,
};

const dataDir = makeTempDir();
const apps: App[] = [];
after(async () => {
  for (const a of apps) await a.close();
});

function configFor(scheme: string, keyId: string): ResolvedConfig {
  const config = loadConfig({ dataDir, env: {} });
  config.advisoryAi.attestations.cryptoScheme = scheme as ResolvedConfig['advisoryAi']['attestations']['cryptoScheme'];
  config.advisoryAi.attestations.keyId = keyId;
  return config;
}

describe('signing schemes', () => {
  for (const scheme of SCHEMES) {
    test(`${scheme}: the attestation is signed with it and verifies; a changed byte does not`, async () => {
      const keyId = `ai-${scheme}`;
      const app = await openApp(configFor(scheme, keyId));
      apps.push(app);
      await app.repos.tenants.add('default', null, new Date()).catch(() => undefined);
      const ai = app.useCases(aiModule);
      const r = await ai.explain(AI, {
        finding: FINDING,
        parameters: { maxTokens: 4 },
        backend: { kind: 'local', modelPath: tinyModelPath(), threads: 1 },
      });
      const info = app.keyring.get(keyId);
      assert.equal(info.algorithm, scheme);
      const envelope = r.envelope;
      assert.ok(envelope !== null);
      assert.equal(envelope.signatures[0]?.keyid, keyId);
      const sig = decodeBase64(envelope.signatures[0]?.sig ?? '');
      assert.ok(SIGNATURE_SHAPE[scheme](sig), `${scheme} signature of ${sig.length} bytes`);

      const byKeyring = await ai.verify(AI, { attestation: envelope });
      assert.equal(byKeyring.valid, true, JSON.stringify(byKeyring.checks));
      const byPem = await ai.verify(AI, { attestation: envelope, publicKeyPem: info.publicKeyPem });
      assert.equal(byPem.valid, true, JSON.stringify(byPem.checks));

      sig[sig.length - 1] = (sig[sig.length - 1] as number) ^ 1;
      const flipped = { ...envelope, signatures: [{ keyid: keyId, sig: sig.toString('base64') }] };
      const bad = await ai.verify(AI, { attestation: flipped });
      assert.equal(bad.valid, false);
      assert.equal(bad.failedCheck, 'signature');
    });
  }

  test('a stored key of another scheme is refused, naming advisoryAi.attestations.cryptoScheme', async () => {
    await assert.rejects(openApp(configFor('gost3410', 'ai-sm2')), (e: Error) =>
      /"ai-sm2" .* is sm2, but advisoryAi\.attestations\.cryptoScheme asks for gost3410/.test(e.message),
    );
  });
});
