/**
 * The native PKCS#11 binding (`pkcs11js`, an optional dependency: it builds
 * from source with node-gyp). Only the calls attestry makes are typed here,
 * so attestry builds and runs without it; using a `pkcs11:` key then fails
 * with an error that names the package.
 */
import { createRequire } from 'node:module';
import { AttestryError } from '../core/errors.js';

export type Handle = Buffer;
export interface Attribute {
  type: number;
  value?: number | boolean | string | Buffer;
}
export interface TokenInfo {
  label: string;
  manufacturerID: string;
  model: string;
  serialNumber: string;
  flags: number;
}

/** The subset of pkcs11js's `PKCS11` class attestry uses. */
export interface Pkcs11Module {
  load(path: string): void;
  C_Initialize(): void;
  C_Finalize(): void;
  close(): void;
  C_GetSlotList(tokenPresent?: boolean): Handle[];
  C_GetTokenInfo(slot: Handle): TokenInfo;
  C_GetMechanismList(slot: Handle): number[];
  C_OpenSession(slot: Handle, flags: number): Handle;
  C_CloseSession(session: Handle): void;
  C_Login(session: Handle, userType: number, pin?: string): void;
  C_FindObjectsInit(session: Handle, template: Attribute[]): void;
  C_FindObjects(session: Handle, maxObjectCount: number): Handle[];
  C_FindObjectsFinal(session: Handle): void;
  C_GetAttributeValue(session: Handle, object: Handle, template: Attribute[]): { type: number; value: Buffer }[];
  C_SignInit(session: Handle, mechanism: { mechanism: number }, key: Handle): void;
  C_Sign(session: Handle, data: Buffer, out: Buffer): Buffer;
  C_GenerateKeyPair(
    session: Handle,
    mechanism: { mechanism: number },
    publicTemplate: Attribute[],
    privateTemplate: Attribute[],
  ): { publicKey: Handle; privateKey: Handle };
}

/** PKCS#11 v2.40 / v3.0 constants (pkcs11t.h); CKK_EC_EDWARDS and CKM_EDDSA are v3.0. */
export const CK = {
  CKA_CLASS: 0x0,
  CKA_TOKEN: 0x1,
  CKA_PRIVATE: 0x2,
  CKA_LABEL: 0x3,
  CKA_VALUE: 0x11,
  CKA_KEY_TYPE: 0x100,
  CKA_ID: 0x102,
  CKA_SENSITIVE: 0x103,
  CKA_SIGN: 0x108,
  CKA_VERIFY: 0x10a,
  CKA_EC_PARAMS: 0x180,
  CKA_EC_POINT: 0x181,
  CKO_CERTIFICATE: 1,
  CKO_PUBLIC_KEY: 2,
  CKO_PRIVATE_KEY: 3,
  CKK_EC: 3,
  CKK_EC_EDWARDS: 0x40,
  CKM_EC_KEY_PAIR_GEN: 0x1040,
  CKM_ECDSA: 0x1041,
  CKM_EC_EDWARDS_KEY_PAIR_GEN: 0x1055,
  CKM_EDDSA: 0x1057,
  CKF_RW_SESSION: 0x2,
  CKF_SERIAL_SESSION: 0x4,
  CKF_LOGIN_REQUIRED: 0x4,
  CKF_USER_PIN_INITIALIZED: 0x8,
  CKF_TOKEN_INITIALIZED: 0x400,
  CKU_USER: 1,
  CKR_PIN_INCORRECT: 0xa0,
  CKR_PIN_LEN_RANGE: 0xa2,
  CKR_PIN_LOCKED: 0xa4,
  CKR_USER_ALREADY_LOGGED_IN: 0x100,
  CKR_CRYPTOKI_ALREADY_INITIALIZED: 0x191,
} as const;

export const PKCS11_PACKAGE = 'pkcs11js';

type Pkcs11Constructor = new () => Pkcs11Module;
let ctor: Pkcs11Constructor | undefined;

function loadConstructor(): Pkcs11Constructor {
  if (ctor !== undefined) return ctor;
  let mod: unknown;
  try {
    mod = createRequire(import.meta.url)(PKCS11_PACKAGE);
  } catch (e) {
    throw new AttestryError(
      'E_KEY_UNSUPPORTED',
      `PKCS#11 keys need the optional package ${PKCS11_PACKAGE}, which is not installed or did not build (${(e as Error).message.split('\n')[0]}); install it with 'npm install ${PKCS11_PACKAGE}' (needs a C++ compiler, make and python3 for node-gyp)`,
      { cause: e },
    );
  }
  const c = typeof mod === 'object' && mod !== null ? (mod as { PKCS11?: unknown }).PKCS11 : undefined;
  if (typeof c !== 'function') throw new AttestryError('E_KEY_UNSUPPORTED', `${PKCS11_PACKAGE} does not export PKCS11; reinstall it`);
  ctor = c as Pkcs11Constructor;
  return ctor;
}

/** The CKR_ code of a binding error, if it is one. */
export function ckrOf(e: unknown): number | undefined {
  if (typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'number' && /CKR_/.test((e as Error).message))
    return (e as { code: number }).code;
  const m = /CKR_[A-Z_]+:(\d+)/.exec((e as Error | undefined)?.message ?? '');
  return m ? Number(m[1]) : undefined;
}

interface Loaded {
  module: Pkcs11Module;
  users: number;
}
const loaded = new Map<string, Loaded>();

/**
 * Loads and initialises a module once per process (C_Initialize may be called
 * only once per application); `release` finalises it when the last user goes.
 */
export function acquireModule(path: string): { module: Pkcs11Module; release: () => void } {
  let entry = loaded.get(path);
  if (entry === undefined) {
    const C = loadConstructor();
    const module = new C();
    try {
      module.load(path);
    } catch (e) {
      throw new AttestryError('E_KEY_FORMAT', `cannot load PKCS#11 module ${path}: ${(e as Error).message}`, { cause: e });
    }
    try {
      module.C_Initialize();
    } catch (e) {
      if (ckrOf(e) !== CK.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        module.close();
        throw new AttestryError('E_UNAVAILABLE', `PKCS#11 module ${path} did not initialise: ${(e as Error).message}`, { cause: e });
      }
    }
    entry = { module, users: 0 };
    loaded.set(path, entry);
  }
  entry.users += 1;
  const e = entry;
  let released = false;
  return {
    module: e.module,
    release: () => {
      if (released) return;
      released = true;
      e.users -= 1;
      if (e.users > 0) return;
      loaded.delete(path);
      try {
        e.module.C_Finalize();
      } finally {
        e.module.close();
      }
    },
  };
}
