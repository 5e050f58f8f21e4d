import { createCipheriv, randomBytes, scryptSync, type KeyObject } from 'node:crypto';
import { derInteger, derOctetString, derOid, derSequence, toPem } from './der.js';

/**
 * Encrypts a private key as PKCS#8 EncryptedPrivateKeyInfo using PBES2 with
 * scrypt and AES-256-CBC, the same structure `openssl pkcs8 -topk8 -scrypt`
 * writes. Node's own `export({ cipher, passphrase })` uses PBKDF2 with a
 * fixed 2,048 iterations, too cheap to slow down a passphrase guesser.
 *
 * N=2^14, r=8, p=1 (16 MiB) stays inside OpenSSL's default 32 MiB scrypt
 * memory cap, so `openssl`, Python `cryptography` and Node all read the file.
 */
export const SCRYPT_PARAMS = { N: 1 << 14, r: 8, p: 1 } as const;

const OID_PBES2 = '1.2.840.113549.1.5.13';
const OID_SCRYPT = '1.3.6.1.4.1.11591.4.11';
const OID_AES256_CBC = '2.16.840.1.101.3.4.1.42';

export function encryptPrivateKeyPem(key: KeyObject, passphrase: string): string {
  const plain = key.export({ type: 'pkcs8', format: 'der' });
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const derived = scryptSync(Buffer.from(passphrase, 'utf8'), salt, 32, {
    N: SCRYPT_PARAMS.N,
    r: SCRYPT_PARAMS.r,
    p: SCRYPT_PARAMS.p,
    maxmem: 64 * 1024 * 1024,
  });
  const cipher = createCipheriv('aes-256-cbc', derived, iv);
  const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
  derived.fill(0);

  const scryptParams = derSequence(
    derOctetString(salt),
    derInteger(SCRYPT_PARAMS.N),
    derInteger(SCRYPT_PARAMS.r),
    derInteger(SCRYPT_PARAMS.p),
    derInteger(32),
  );
  const pbes2Params = derSequence(derSequence(derOid(OID_SCRYPT), scryptParams), derSequence(derOid(OID_AES256_CBC), derOctetString(iv)));
  const info = derSequence(derSequence(derOid(OID_PBES2), pbes2Params), derOctetString(encrypted));
  return toPem('ENCRYPTED PRIVATE KEY', info);
}
