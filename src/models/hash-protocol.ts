/** Messages between the hash pool and its workers. */
import type { HashEngineName } from './hashers.js';

export interface HashJob {
  path: string;
  /** Inclusive start offset. */
  start: number;
  /** Exclusive end offset. */
  end: number;
}

export interface HashBatch {
  id: number;
  algorithm: HashEngineName;
  jobs: HashJob[];
}

export type WorkerMessage =
  | { type: 'progress'; id: number; bytes: number }
  | { type: 'done'; id: number; digests: string[]; bytes: number }
  | { type: 'error'; id: number; path: string; errno: string; message: string; bytes: number };
