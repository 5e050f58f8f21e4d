/** Messages between the hash pool and its workers (carried by core/worker-rpc). */
import type { HashEngineName } from './hashers.js';

export interface HashJob {
  path: string;
  /** Inclusive start offset. */
  start: number;
  /** Exclusive end offset. */
  end: number;
}

export interface HashBatch {
  algorithm: HashEngineName;
  jobs: HashJob[];
}

/** Bytes hashed since the last report (progress is sent every few tens of MiB, and with the reply). */
export interface HashProgress {
  bytes: number;
}

export interface HashBatchDone extends HashProgress {
  digests: string[];
}
