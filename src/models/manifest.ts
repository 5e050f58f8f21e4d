/**
 * Turns enumerated files into OMS resources by hashing them (files or shards),
 * optionally reusing digests of unchanged files from an earlier signature.
 */
import type { ModelFile } from './walk.js';
import type { HashJob, HashPool } from './hash-pool.js';
import {
  compareResources,
  resourceAlgorithm,
  shardName,
  type OmsResource,
  type OmsSerialization,
  type ShardAlgorithmSpelling,
} from './oms.js';

/**
 * Size and mtime of a hashed file: what `--reuse-digests` compares. Kept out of
 * the signed statement (so the same files sign to the same bytes), in the
 * signature's sidecar (see reuse.ts).
 */
export interface FileStat {
  size: number;
  mtimeNs: string;
}

export interface ReusableFile {
  size: number;
  mtimeNs: string;
  resources: OmsResource[];
}

export interface HashModelOptions {
  pool: HashPool;
  serialization: Pick<OmsSerialization, 'method' | 'hash_type' | 'shard_size'>;
  reuse?: ReadonlyMap<string, ReusableFile>;
  shardAlgorithm?: ShardAlgorithmSpelling;
  onProgress?: (bytesDone: number) => void;
}

export interface HashedModel {
  resources: OmsResource[];
  /** By model-relative file name. */
  stats: Map<string, FileStat>;
  bytesTotal: number;
  bytesHashed: number;
  filesReused: number;
}

interface PlannedResource {
  name: string;
  file: ModelFile;
  job: HashJob;
}

/** The byte ranges a file maps to: one whole-file range, or shards (empty files get none, §6.3.2). */
export function rangesOf(file: Pick<ModelFile, 'size'>, method: 'files' | 'shards', shardSize: number): [number, number][] {
  if (method === 'files') return [[0, file.size]];
  const ranges: [number, number][] = [];
  for (let start = 0; start < file.size; start += shardSize) ranges.push([start, Math.min(start + shardSize, file.size)]);
  return ranges;
}

export async function hashModel(files: readonly ModelFile[], options: HashModelOptions): Promise<HashedModel> {
  const { serialization, reuse } = options;
  const algorithm = resourceAlgorithm(serialization, options.shardAlgorithm);
  const shardSize = serialization.shard_size ?? 0;
  const resources: OmsResource[] = [];
  const stats = new Map<string, FileStat>();
  const planned: PlannedResource[] = [];
  let bytesTotal = 0;
  let filesReused = 0;

  for (const file of files) {
    bytesTotal += file.size;
    const stat: FileStat = { size: file.size, mtimeNs: file.mtimeNs.toString() };
    stats.set(file.name, stat);
    const old = reuse?.get(file.name);
    if (old && old.size === stat.size && old.mtimeNs === stat.mtimeNs) {
      resources.push(...old.resources.map((r) => ({ name: r.name, algorithm, digest: r.digest })));
      filesReused++;
      continue;
    }
    for (const [start, end] of rangesOf(file, serialization.method, shardSize)) {
      const name = serialization.method === 'files' ? file.name : shardName(file.name, start, end);
      planned.push({ name, file, job: { path: file.path, start, end } });
    }
  }

  const digests = await options.pool.hash(
    planned.map((p) => p.job),
    { algorithm: serialization.hash_type, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
  );
  planned.forEach((p, i) => {
    resources.push({ name: p.name, algorithm, digest: digests[i]! });
  });
  resources.sort((a, b) => compareResources(serialization.method, a.name, b.name));
  const bytesHashed = planned.reduce((n, p) => n + (p.job.end - p.job.start), 0);
  return { resources, stats, bytesTotal, bytesHashed, filesReused };
}
