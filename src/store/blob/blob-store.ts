import type { Readable } from 'node:stream';
import type { Digest } from '../../core/digest.js';
import type { CasKey } from './cas-key.js';

export interface BlobInfo {
  readonly key: CasKey;
  readonly digest: Digest;
  readonly size: number;
}

/**
 * A content-checked object store. Every backend passes the same contract
 * suite (test/store/blob-contract.ts). A successful `put` means the bytes are
 * durable; `get` verifies the digest the caller recorded and refuses to hand
 * out bytes that no longer match it (E_INTEGRITY).
 */
export interface BlobStore {
  readonly backend: 'filesystem' | 's3';
  /** Human-readable location for logs and `/readyz` (never credentials). */
  readonly location: string;
  /** Stores bytes; when `expected` is given and differs, nothing is stored (E_DIGEST_MISMATCH). */
  put(key: CasKey, data: Uint8Array, expected?: Digest): Promise<BlobInfo>;
  /** Streams a body of unknown size into the store, hashing as it goes. */
  putStream(key: CasKey, source: AsyncIterable<Uint8Array>, expected?: Digest, maxBytes?: number): Promise<BlobInfo>;
  /** Reads a whole blob and checks it against the digest recorded at write time. */
  get(key: CasKey, expected: Digest, maxBytes?: number): Promise<Buffer>;
  /** Streams a blob; the stream errors with E_INTEGRITY at the end if the digest differs. */
  getStream(key: CasKey, expected: Digest): Promise<Readable>;
  /** Size of a stored blob, or undefined when absent. */
  head(key: CasKey): Promise<{ size: number } | undefined>;
  delete(key: CasKey): Promise<void>;
  list(prefix: string): AsyncIterable<CasKey>;
  /** Removes temp files a crash left behind, older than `olderThan`; returns how many (backends without temp files omit it). */
  sweepTemporary?(olderThan: Date): Promise<number>;
  /** Throws when the store cannot be reached (readiness probe). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
