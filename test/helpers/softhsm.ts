/**
 * A fresh SoftHSM2 token in a temp directory (its own softhsm2.conf, pointed
 * at by SOFTHSM2_CONF), with keys imported from PKCS#8 through softhsm2-util,
 * so PKCS#11 tests never touch the machine's tokens.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, privateKeyToPem, publicKeyToPem, type NodeKeyAlgorithm } from '../../src/crypto/keys.js';
import type { KeyObject } from 'node:crypto';
import { toolSkip } from './tools.js';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

/** Skip reason when SoftHSM2 or the optional pkcs11js binding is missing (a failure under ATTESTRY_REQUIRE_TOOLS=1). */
export function softHsmSkip(): false | string {
  const tool = toolSkip('softhsm2-util', 'softhsm2') || toolSkip(SOFTHSM_MODULE, 'softhsm2');
  if (tool) return tool;
  try {
    createRequire(import.meta.url)('pkcs11js');
  } catch (e) {
    const reason = `the optional package pkcs11js is not installed or did not build (${(e as Error).message.split('\n')[0]})`;
    if (process.env['ATTESTRY_REQUIRE_TOOLS'] === '1') throw new Error(`${reason} (ATTESTRY_REQUIRE_TOOLS=1)`);
    return reason;
  }
  return false;
}

export interface ImportedKey {
  readonly algorithm: NodeKeyAlgorithm;
  readonly label: string;
  readonly idHex: string;
  readonly publicKey: KeyObject;
  readonly publicPem: string;
  /** pkcs11: URI naming the key by label and id, module path and PIN included. */
  readonly uri: string;
}

export interface SoftHsmToken {
  readonly dir: string;
  readonly conf: string;
  readonly label: string;
  readonly pin: string;
  readonly env: { SOFTHSM2_CONF: string };
  importKey(algorithm: NodeKeyAlgorithm, label: string, idHex: string): ImportedKey;
  cleanup(): void;
}

export function createSoftHsmToken(label = 'attestry-test', pin = '246810'): SoftHsmToken {
  const dir = mkdtempSync(join(tmpdir(), 'attestry-softhsm-'));
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens);
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const env = { SOFTHSM2_CONF: conf };
  const util = (args: string[]): void => {
    execFileSync('softhsm2-util', args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  };
  util(['--init-token', '--free', '--label', label, '--so-pin', '13579', '--pin', pin]);
  return {
    dir,
    conf,
    label,
    pin,
    env,
    importKey: (algorithm, keyLabel, idHex) => {
      const pair = generateKeyPair(algorithm);
      const pemPath = join(dir, `${keyLabel}-${idHex}.pem`);
      writeFileSync(pemPath, privateKeyToPem(pair.privateKey), { mode: 0o600 });
      try {
        util(['--import', pemPath, '--token', label, '--label', keyLabel, '--id', idHex, '--pin', pin]);
      } finally {
        rmSync(pemPath, { force: true });
      }
      const publicPem = join(dir, `${keyLabel}-${idHex}.pub.pem`);
      writeFileSync(publicPem, publicKeyToPem(pair.publicKey));
      const id = idHex
        .match(/../g)!
        .map((b) => `%${b}`)
        .join('');
      return {
        algorithm,
        label: keyLabel,
        idHex,
        publicKey: pair.publicKey,
        publicPem,
        uri: `pkcs11:token=${encodeURIComponent(label)};object=${encodeURIComponent(keyLabel)};id=${id}?module-path=${SOFTHSM_MODULE}&pin-value=${pin}`,
      };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
