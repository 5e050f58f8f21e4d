/**
 * The streaming hash engines behind OMS `hash_type` values, as model_signing
 * names them (`_hashing/memory.py`: digest names "sha256", "blake2b",
 * "blake3"). SHA-256 and BLAKE2b come from node:crypto (OpenSSL); BLAKE3
 * from `@napi-rs/blake-hash`, the Rust `blake3` crate as a prebuilt Node-API
 * addon, which picks AVX-512/AVX2/SSE4.1 at run time. It is loaded only when
 * a BLAKE3 hash is asked for, so a platform without the addon still hashes
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

let blake3Binding: Blake3Binding | undefined;

function loadBlake3(): Blake3Binding {
  if (blake3Binding) return blake3Binding;
  let mod: unknown;
  try {
    mod = createRequire(import.meta.url)('@napi-rs/blake-hash');
  } catch (e) {
    throw new AttestryError(
      'E_UNAVAILABLE',
      `BLAKE3 is not available on this platform (${process.platform}-${process.arch}): @napi-rs/blake-hash did not load (${e instanceof Error ? e.message : String(e)}); use --hash-type sha256`,
      { cause: e },
    );
  }
  if (typeof mod !== 'object' || mod === null || typeof (mod as { Blake3Hasher?: unknown }).Blake3Hasher !== 'function') {
    throw new AttestryError('E_UNAVAILABLE', '@napi-rs/blake-hash loaded but has no Blake3Hasher; reinstall dependencies (npm ci)');
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
