/**
 * The streaming hash engines behind OMS `hash_type` values, as model_signing
 * names them (`_hashing/memory.py`: digest names "sha256", "blake2b",
 * "blake3"). SHA-256 and BLAKE2b come from node:crypto (OpenSSL); BLAKE3
 * from `@napi-rs/blake-hash`'s prebuilt Node-API addon (the Rust `blake3`
 * crate, which picks AVX-512/AVX2/SSE4.1 at run time). The addon's platform
 * packages are optional dependencies of their own: the registry these
 * machines reach serves only the Linux x64 builds, and npm ci refuses a lock
 * file that lacks the wrapper's other platform packages. It is loaded only
 * when a BLAKE3 hash is asked for, so a platform without it still hashes
 * SHA-256.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { AttestryError } from '../core/errors.js';

/** The hash types attestry hashes files with. */
export const HASH_ENGINES = ['sha256', 'blake2b', 'blake3'] as const;
export type HashEngineName = (typeof HASH_ENGINES)[number];

export interface StreamHasher {
  update(data: Uint8Array): void;
  /** Lowercase hex of the default-length digest (32 bytes for SHA-256 and BLAKE3, 64 for BLAKE2b). */
  digestHex(): string;
}

export function isHashEngine(name: string): name is HashEngineName {
  return (HASH_ENGINES as readonly string[]).includes(name);
}

/** Throws E_SIGNATURE_FORMAT for a hash type attestry cannot compute (it comes from a signature or an option). */
export function assertHashEngine(name: string): HashEngineName {
  if (!isHashEngine(name)) {
    throw new AttestryError('E_SIGNATURE_FORMAT', `hash algorithm "${name}" is not supported (supported: ${HASH_ENGINES.join(', ')})`);
  }
  return name;
}

const NODE_NAMES = { sha256: 'sha256', blake2b: 'blake2b512' } as const;

interface Blake3Binding {
  Blake3Hasher: new () => { update(input: Uint8Array): unknown; digest(format: 'hex'): string };
}

/** The addon packages tried in order (glibc first; npm installs only the one matching this libc). */
const BLAKE3_ADDONS = ['@napi-rs/blake-hash-linux-x64-gnu', '@napi-rs/blake-hash-linux-x64-musl'] as const;

let blake3Binding: Blake3Binding | undefined;

function loadBlake3(): Blake3Binding {
  if (blake3Binding) return blake3Binding;
  const require = createRequire(import.meta.url);
  let mod: unknown;
  const failures: string[] = [];
  for (const name of BLAKE3_ADDONS) {
    try {
      mod = require(name);
      break;
    } catch (e) {
      failures.push(`${name}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  }
  if (mod === undefined) {
    throw new AttestryError(
      'E_UNAVAILABLE',
      `BLAKE3 is not available on this platform (${process.platform}-${process.arch}): no @napi-rs/blake-hash addon loaded (${failures.join('; ')}); use --hash-type sha256`,
    );
  }
  if (typeof mod !== 'object' || mod === null || typeof (mod as { Blake3Hasher?: unknown }).Blake3Hasher !== 'function') {
    throw new AttestryError(
      'E_UNAVAILABLE',
      'the @napi-rs/blake-hash addon loaded but has no Blake3Hasher; reinstall dependencies (npm ci)',
    );
  }
  blake3Binding = mod as Blake3Binding;
  return blake3Binding;
}

export function createStreamHasher(name: HashEngineName): StreamHasher {
  if (name === 'blake3') {
    const h = new (loadBlake3().Blake3Hasher)();
    return { update: (data) => void h.update(data), digestHex: () => h.digest('hex') };
  }
  const h = createHash(NODE_NAMES[name]);
  return { update: (data) => void h.update(data), digestHex: () => h.digest('hex') };
}

/** One-shot digest of bytes in memory (tests and small inputs). */
export function hashBytesHex(name: HashEngineName, data: Uint8Array): string {
  const h = createStreamHasher(name);
  h.update(data);
  return h.digestHex();
}
