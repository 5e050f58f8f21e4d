/**
 * A `Signer` whose private key stays on a PKCS#11 token (HSM, smart card,
 * SoftHSM). ECDSA P-256/P-384/P-521 via CKM_ECDSA over the digest attestry
 * computes (the hash of the curve, as for software keys), Ed25519 via
 * CKM_EDDSA over the message. Signatures come out exactly as software keys
 * make them (DER ECDSA, raw Ed25519), and each is checked against the token's
 * public key before it is used, so a wrong public object fails here, not at
 * the verifier.
 */
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { AttestryError } from '../core/errors.js';
import { acquireModule, CK, ckrOf, type Attribute, type Handle, type Pkcs11Module, type TokenInfo } from './pkcs11-binding.js';
import { ECDSA_FIELD_BYTES, p1363ToDer, publicKeyFromEcAttributes } from './pkcs11-key.js';
import { parsePkcs11Uri, pinFromUri, resolvePkcs11Module, type Pkcs11Uri } from './pkcs11-uri.js';
import { keyAlgorithmOf, sigstoreAlgorithm, type SigstoreKeyAlgorithm } from './keys.js';
import { verifyBytes, type NodeSigner } from './signer.js';

const DIGEST: Record<Exclude<SigstoreKeyAlgorithm, 'ed25519'>, string> = {
  'ecdsa-p256': 'sha256',
  'ecdsa-p384': 'sha384',
  'ecdsa-p521': 'sha512',
};

export interface Pkcs11Signer extends NodeSigner {
  /** Token label and key label/id, for messages (never the PIN). */
  readonly description: string;
  readonly modulePath: string;
  /** Closes the session and, with the last signer of the module, finalises it. */
  close(): void;
}

export interface OpenPkcs11Options {
  /** PIN when the URI carries none (e.g. from --passphrase-env). */
  pin?: string;
  keyid?: string;
}

const trimmed = (s: string): string => s.replace(/[\s\0]+$/, '');

function describeKey(uri: Pkcs11Uri): string {
  const parts = [uri.token !== undefined ? `token "${uri.token}"` : 'any token'];
  if (uri.object !== undefined) parts.push(`object "${uri.object}"`);
  if (uri.id !== undefined) parts.push(`id ${uri.id.toString('hex')}`);
  return parts.join(', ');
}

function tokenMatches(info: TokenInfo, uri: Pkcs11Uri): boolean {
  return (
    (uri.token === undefined || trimmed(info.label) === uri.token) &&
    (uri.serial === undefined || trimmed(info.serialNumber) === uri.serial) &&
    (uri.manufacturer === undefined || trimmed(info.manufacturerID) === uri.manufacturer) &&
    (uri.model === undefined || trimmed(info.model) === uri.model)
  );
}

function ulong(buf: Buffer): number {
  if (buf.length === 8) return Number(buf.readBigUInt64LE(0));
  if (buf.length === 4) return buf.readUInt32LE(0);
  throw new AttestryError('E_KEY_FORMAT', `PKCS#11 CK_ULONG attribute of ${buf.length} bytes`);
}

function findObjects(m: Pkcs11Module, session: Handle, template: Attribute[]): Handle[] {
  m.C_FindObjectsInit(session, template);
  try {
    return m.C_FindObjects(session, 2);
  } finally {
    m.C_FindObjectsFinal(session);
  }
}

function attribute(m: Pkcs11Module, session: Handle, object: Handle, type: number): Buffer {
  return m.C_GetAttributeValue(session, object, [{ type }])[0]!.value;
}

function login(m: Pkcs11Module, session: Handle, info: TokenInfo, pin: string | undefined): void {
  if ((info.flags & CK.CKF_LOGIN_REQUIRED) === 0 && pin === undefined) return;
  if (pin === undefined) {
    throw new AttestryError(
      'E_PASSPHRASE_REQUIRED',
      `PKCS#11 token "${trimmed(info.label)}" needs its user PIN: add pin-source=file:/path/to/pin (or pin-value=…) to the URI, or give --passphrase-env VAR`,
    );
  }
  try {
    m.C_Login(session, CK.CKU_USER, pin);
  } catch (e) {
    const ckr = ckrOf(e);
    if (ckr === CK.CKR_USER_ALREADY_LOGGED_IN) return; // login state is per application, shared by its sessions
    if (ckr === CK.CKR_PIN_INCORRECT || ckr === CK.CKR_PIN_LEN_RANGE)
      throw new AttestryError('E_BAD_PASSPHRASE', `wrong PIN for PKCS#11 token "${trimmed(info.label)}"`);
    if (ckr === CK.CKR_PIN_LOCKED)
      throw new AttestryError('E_BAD_PASSPHRASE', `the user PIN of PKCS#11 token "${trimmed(info.label)}" is locked`);
    throw new AttestryError('E_UNAVAILABLE', `cannot log in to PKCS#11 token "${trimmed(info.label)}": ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** The public half: the public key object with the key's id (or label), else a certificate with that id. */
function publicKeyOf(m: Pkcs11Module, session: Handle, privateKey: Handle, keyType: 'ec' | 'ed', what: string): KeyObject {
  const id = attribute(m, session, privateKey, CK.CKA_ID);
  const label = attribute(m, session, privateKey, CK.CKA_LABEL);
  const by: Attribute[] = id.length > 0 ? [{ type: CK.CKA_ID, value: id }] : [{ type: CK.CKA_LABEL, value: label }];
  const [pub] = findObjects(m, session, [{ type: CK.CKA_CLASS, value: CK.CKO_PUBLIC_KEY }, ...by]);
  if (pub !== undefined) {
    return publicKeyFromEcAttributes(
      keyType,
      attribute(m, session, pub, CK.CKA_EC_PARAMS),
      attribute(m, session, pub, CK.CKA_EC_POINT),
      what,
    );
  }
  const [cert] = findObjects(m, session, [{ type: CK.CKA_CLASS, value: CK.CKO_CERTIFICATE }, ...by]);
  if (cert !== undefined) return new X509Certificate(attribute(m, session, cert, CK.CKA_VALUE)).publicKey;
  throw new AttestryError(
    'E_NOT_FOUND',
    `${what}: the token holds the private key but no public key or certificate with the same ${id.length > 0 ? 'id' : 'label'}; import the public key too`,
  );
}

/** Opens the key a `pkcs11:` URI names and returns a signer for it. */
export function openPkcs11Signer(uriText: string, options: OpenPkcs11Options = {}): Pkcs11Signer {
  const uri = parsePkcs11Uri(uriText);
  const modulePath = resolvePkcs11Module(uri);
  const pin = pinFromUri(uri) ?? options.pin;
  const what = `PKCS#11 key (${describeKey(uri)})`;
  const { module: m, release } = acquireModule(modulePath);
  let session: Handle | undefined;
  try {
    const slots = m.C_GetSlotList(true).filter((s) => uri.slotId === undefined || s.readUIntLE(0, Math.min(s.length, 6)) === uri.slotId);
    const tokens = slots.map((slot) => ({ slot, info: m.C_GetTokenInfo(slot) }));
    const matching = tokens.filter((t) => tokenMatches(t.info, uri) && (t.info.flags & CK.CKF_TOKEN_INITIALIZED) !== 0);
    if (matching.length === 0) {
      const seen =
        tokens
          .filter((t) => (t.info.flags & CK.CKF_TOKEN_INITIALIZED) !== 0)
          .map((t) => `"${trimmed(t.info.label)}"`)
          .join(', ') || 'none';
      throw new AttestryError('E_NOT_FOUND', `no PKCS#11 token matches ${what} in ${modulePath} (tokens present: ${seen})`);
    }
    const template: Attribute[] = [{ type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY }];
    if (uri.object !== undefined) template.push({ type: CK.CKA_LABEL, value: uri.object });
    if (uri.id !== undefined) template.push({ type: CK.CKA_ID, value: uri.id });
    for (const { slot, info } of matching) {
      const s = m.C_OpenSession(slot, CK.CKF_SERIAL_SESSION);
      session = s;
      login(m, s, info, pin);
      const found = findObjects(m, s, template);
      if (found.length === 0) {
        m.C_CloseSession(s);
        session = undefined;
        continue;
      }
      if (found.length > 1)
        throw new AttestryError(
          'E_USAGE',
          `${what} names more than one private key on token "${trimmed(info.label)}"; add id=%xx to the URI`,
        );
      const privateKey = found[0]!;
      const ckk = ulong(attribute(m, s, privateKey, CK.CKA_KEY_TYPE));
      if (ckk !== CK.CKK_EC && ckk !== CK.CKK_EC_EDWARDS)
        throw new AttestryError(
          'E_KEY_UNSUPPORTED',
          `${what} is not an EC or EdDSA key (CKK ${ckk}); attestry signs with ECDSA P-256/P-384/P-521 or Ed25519`,
        );
      const publicKey = publicKeyOf(m, s, privateKey, ckk === CK.CKK_EC ? 'ec' : 'ed', what);
      const algorithm = sigstoreAlgorithm(keyAlgorithmOf(publicKey));
      const mechanism = algorithm === 'ed25519' ? CK.CKM_EDDSA : CK.CKM_ECDSA;
      if (!m.C_GetMechanismList(slot).includes(mechanism)) {
        throw new AttestryError(
          'E_KEY_UNSUPPORTED',
          `token "${trimmed(info.label)}" does not offer ${algorithm === 'ed25519' ? 'CKM_EDDSA (Ed25519)' : 'CKM_ECDSA'}; use a key type it supports`,
        );
      }
      const description = `${what} on token "${trimmed(info.label)}"`;
      const sign = (data: Uint8Array): Buffer => {
        let signature: Buffer;
        try {
          if (algorithm === 'ed25519') {
            // The binding hands a zero-length buffer to the token as a NULL pointer, which tokens refuse.
            if (data.length === 0)
              throw new AttestryError(
                'E_KEY_UNSUPPORTED',
                `${description}: a PKCS#11 Ed25519 key cannot sign an empty message (the token is given no data); sign a non-empty file`,
              );
            m.C_SignInit(s, { mechanism }, privateKey);
            signature = Buffer.from(m.C_Sign(s, Buffer.from(data), Buffer.alloc(64)));
          } else {
            const digest = createHash(DIGEST[algorithm]).update(data).digest();
            m.C_SignInit(s, { mechanism }, privateKey);
            signature = p1363ToDer(m.C_Sign(s, digest, Buffer.alloc(2 * ECDSA_FIELD_BYTES[algorithm])));
          }
        } catch (e) {
          if (e instanceof AttestryError) throw e;
          throw new AttestryError('E_UNAVAILABLE', `${description} did not sign: ${(e as Error).message}`, { cause: e });
        }
        if (!verifyBytes(publicKey, data, signature)) {
          throw new AttestryError(
            'E_KEY_MISMATCH',
            `${description}: the token's signature does not verify with its public key object; the key pair on the token is inconsistent`,
          );
        }
        return signature;
      };
      let closed = false;
      return {
        keyid: options.keyid ?? '',
        algorithm,
        publicKey,
        description,
        modulePath,
        sign,
        close: () => {
          if (closed) return;
          closed = true;
          try {
            m.C_CloseSession(s);
          } finally {
            release();
          }
        },
      };
    }
    throw new AttestryError(
      'E_NOT_FOUND',
      `no private key matches ${what} on ${matching.length === 1 ? `token "${trimmed(matching[0]!.info.label)}"` : `${matching.length} tokens`}; list keys with 'pkcs11-tool --module ${modulePath} --list-objects --login'`,
    );
  } catch (e) {
    if (session !== undefined) {
      try {
        m.C_CloseSession(session);
      } catch {
        // already failing; the first error is the one to report
      }
    }
    release();
    throw e;
  }
}
