/**
 * PKCS#11 URIs (RFC 7512) naming a signing key on a token, in the subset
 * model_signing's PKCS#11 method reads (model_signing/_signing/pkcs11uri.py):
 * path attributes `token`, `serial`, `manufacturer`, `model`, `slot-id`,
 * `object`, `id`, `type`; query attributes `pin-value` | `pin-source` and
 * `module-path` | `module-name`.
 *
 *   pkcs11:token=ci;object=release;id=%01?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin
 */
import { readFileSync, statSync, readdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { AttestryError } from '../core/errors.js';

export interface Pkcs11Uri {
  readonly token?: string;
  readonly serial?: string;
  readonly manufacturer?: string;
  readonly model?: string;
  readonly slotId?: number;
  /** CKA_LABEL of the key. */
  readonly object?: string;
  /** CKA_ID of the key (binary, from the percent-encoding). */
  readonly id?: Buffer;
  readonly pinValue?: string;
  readonly pinSource?: string;
  readonly modulePath?: string;
  readonly moduleName?: string;
}

const PATH_ATTRIBUTES = new Set([
  'token',
  'serial',
  'manufacturer',
  'model',
  'slot-id',
  'object',
  'id',
  'type',
  'library-manufacturer',
  'library-description',
  'library-version',
  'slot-description',
  'slot-manufacturer',
]);
const QUERY_ATTRIBUTES = new Set(['pin-value', 'pin-source', 'module-path', 'module-name']);

/** Where module-name is looked up when no module-path directory is given (as model_signing, plus Debian's). */
export const PKCS11_MODULE_DIRECTORIES = [
  '/usr/lib64/pkcs11/',
  '/usr/lib/pkcs11/',
  '/usr/lib/x86_64-linux-gnu/pkcs11/',
  '/usr/lib/aarch64-linux-gnu/pkcs11/',
  '/usr/lib/softhsm/',
];

export function isPkcs11Uri(value: string): boolean {
  return value.startsWith('pkcs11:');
}

function bad(message: string): AttestryError {
  // The URI may carry a PIN: never echo it back.
  return new AttestryError(
    'E_USAGE',
    `invalid PKCS#11 URI: ${message} (RFC 7512, e.g. pkcs11:token=T;object=K?module-path=/path/module.so&pin-source=file:/path/pin)`,
  );
}

function unescape(value: string, name: string): Buffer {
  if (/%(?![0-9a-fA-F]{2})/.test(value)) throw bad(`attribute ${name} has a malformed percent-encoding`);
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '%') {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(value[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

function attributes(part: string, separator: string, allowed: Set<string>, where: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (part === '') return out;
  for (const item of part.split(separator)) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw bad(`malformed ${where} attribute "${item.split('=')[0]!.slice(0, 40)}"`);
    const name = item.slice(0, eq).toLowerCase();
    // RFC 7512 §2.3: unknown vendor attributes start with "x-"; others are errors.
    if (!allowed.has(name) && !name.startsWith('x-')) throw bad(`unknown ${where} attribute "${name.slice(0, 40)}"`);
    if (out.has(name)) throw bad(`duplicate attribute "${name}"`);
    out.set(name, unescape(item.slice(eq + 1), name));
  }
  return out;
}

/** Parses a `pkcs11:` URI; throws E_USAGE naming the bad part (never the PIN). */
export function parsePkcs11Uri(uri: string): Pkcs11Uri {
  if (!isPkcs11Uri(uri)) throw bad('missing the "pkcs11:" scheme');
  const rest = uri.slice('pkcs11:'.length);
  const q = rest.indexOf('?');
  const path = attributes(q < 0 ? rest : rest.slice(0, q), ';', PATH_ATTRIBUTES, 'path');
  const query = attributes(q < 0 ? '' : rest.slice(q + 1), '&', QUERY_ATTRIBUTES, 'query');
  const text = (m: Map<string, Buffer>, k: string): string | undefined => m.get(k)?.toString('utf8');

  const type = text(path, 'type');
  if (type !== undefined && type !== 'private') throw bad(`type=${type.slice(0, 20)}: a signing key is type=private`);
  const o: { -readonly [K in keyof Pkcs11Uri]: Pkcs11Uri[K] } = {};
  for (const [k, field] of [
    ['token', 'token'],
    ['serial', 'serial'],
    ['manufacturer', 'manufacturer'],
    ['model', 'model'],
    ['object', 'object'],
  ] as const) {
    const v = text(path, k);
    if (v !== undefined) o[field] = v;
  }
  const slot = text(path, 'slot-id');
  if (slot !== undefined) {
    if (!/^\d{1,10}$/.test(slot) || Number(slot) > 0xffffffff)
      throw bad(`slot-id must be a decimal number below 2^32, got "${slot.slice(0, 20)}"`);
    o.slotId = Number(slot);
  }
  const id = path.get('id');
  if (id !== undefined) {
    if (id.length === 0) throw bad('id is empty');
    o.id = id;
  }
  if (o.object === undefined && o.id === undefined) throw bad('name the key with object=LABEL or id=%xx (CKA_LABEL / CKA_ID)');
  const pinValue = text(query, 'pin-value');
  const pinSource = text(query, 'pin-source');
  if (pinValue !== undefined && pinSource !== undefined) throw bad('give pin-value or pin-source, not both');
  if (pinValue !== undefined) o.pinValue = pinValue;
  if (pinSource !== undefined) o.pinSource = pinSource;
  const modulePath = text(query, 'module-path');
  if (modulePath !== undefined) {
    if (!isAbsolute(modulePath)) throw bad(`module-path must be an absolute path, got "${modulePath.slice(0, 200)}"`);
    o.modulePath = modulePath;
  }
  const moduleName = text(query, 'module-name');
  if (moduleName !== undefined) o.moduleName = moduleName;
  if (o.modulePath === undefined && o.moduleName === undefined)
    throw bad('say which PKCS#11 module to load: module-path=/absolute/path/module.so (or module-name=NAME)');
  return o;
}

/** The module file: module-path when it is a file, else module-name looked up in module-path or the usual directories. */
export function resolvePkcs11Module(uri: Pkcs11Uri, directories: readonly string[] = PKCS11_MODULE_DIRECTORIES): string {
  let dirs = directories;
  if (uri.modulePath !== undefined) {
    let isFile = false;
    try {
      const st = statSync(uri.modulePath);
      isFile = st.isFile();
      if (!isFile && !st.isDirectory())
        throw new AttestryError('E_USAGE', `PKCS#11 module-path ${uri.modulePath} is neither a file nor a directory`);
    } catch (e) {
      if (e instanceof AttestryError) throw e;
      throw new AttestryError(
        'E_NOT_FOUND',
        `PKCS#11 module ${uri.modulePath} does not exist; give the absolute path of the token's module (e.g. /usr/lib/softhsm/libsofthsm2.so)`,
      );
    }
    if (isFile) return uri.modulePath;
    dirs = [uri.modulePath];
  }
  const name = (uri.moduleName ?? '').toLowerCase();
  if (name === '')
    throw new AttestryError(
      'E_USAGE',
      `PKCS#11 module-path ${uri.modulePath ?? ''} is a directory: add module-name=NAME to pick the module in it`,
    );
  for (const dir of dirs) {
    let files: string[];
    try {
      files = readdirSync(dir);
    } catch {
      continue;
    }
    // model_signing's rule: NAME, or NAME followed by "." (libsofthsm2 matches libsofthsm2.so).
    const hit = files.find((f) => {
      const lower = f.toLowerCase();
      const i = lower.indexOf(name);
      return i >= 0 && (lower.length === i + name.length || lower[i + name.length] === '.');
    });
    if (hit !== undefined) return join(dir, hit);
  }
  throw new AttestryError(
    'E_NOT_FOUND',
    `no PKCS#11 module named "${name}" in ${dirs.join(', ')}; give module-path=/absolute/path/module.so`,
  );
}

/** The PIN from pin-value or pin-source (file: URI or absolute path; one trailing newline dropped). */
export function pinFromUri(uri: Pkcs11Uri): string | undefined {
  if (uri.pinValue !== undefined) return uri.pinValue;
  if (uri.pinSource === undefined) return undefined;
  const source = uri.pinSource;
  let path = source;
  if (source.startsWith('file:')) path = source.startsWith('file://') ? source.slice('file://'.length) : source.slice('file:'.length);
  else if (/^[a-z][a-z0-9+.-]*:/i.test(source))
    throw new AttestryError('E_USAGE', 'PKCS#11 pin-source must be a file: URI or an absolute path');
  if (!isAbsolute(path)) throw new AttestryError('E_USAGE', `PKCS#11 pin-source path ${path.slice(0, 200)} must be absolute`);
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    throw new AttestryError('E_NOT_FOUND', `cannot read the PKCS#11 PIN from ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}
