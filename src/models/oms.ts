/**
 * The OpenSSF Model Signing (OMS) v1.0 predicate: resources, serialization,
 * subject root digest (spec/v1.0.md §5, §6.3–6.6), and the parsing of what
 * model_signing versions actually wrote (§11).
 */
import { z } from 'zod';
import { AttestryError } from '../core/errors.js';
import { sha256Hex } from '../core/digest.js';
import { parseWith } from '../core/validation.js';
import { buildStatement, type Statement } from '../crypto/intoto.js';
import { comparePaths } from './paths.js';

export const OMS_PREDICATE_TYPE = 'https://model_signing/signature/v1.0';
/** v0.2.0's deprecated predicate; read for compatibility, never written (§5.1). */
export const OMS_LEGACY_PREDICATE_TYPE = 'https://model_signing/Digests/v0.1';
export const DEFAULT_SHARD_SIZE = 1_000_000_000;
export const HASH_TYPES = ['sha256', 'blake2b', 'blake3'] as const;
export type HashType = (typeof HASH_TYPES)[number];

export interface OmsResource {
  name: string;
  algorithm: string;
  digest: string;
  annotations?: Record<string, unknown>;
}

export interface OmsSerialization {
  method: 'files' | 'shards';
  hash_type: string;
  allow_symlinks: boolean;
  shard_size?: number;
  ignore_paths?: string[];
}

export interface OmsPredicate {
  resources: OmsResource[];
  serialization: OmsSerialization;
}

/**
 * seed 001's manifest metadata. OMS's statement and predicate schemas are
 * closed, but subjects are open in-toto ResourceDescriptors, so it travels as
 * `subject[0].annotations` and model_signing still verifies the bundle.
 */
export interface ModelMetadata {
  signerId?: string;
  modelName?: string;
  modelVersion?: string;
  framework?: string;
  author?: string;
  description?: string;
  signedAt?: string;
}

const METADATA_KEYS = ['signerId', 'modelName', 'modelVersion', 'framework', 'author', 'description', 'signedAt'] as const;

/**
 * How shard resources spell `algorithm`. model_signing writes
 * `<hash>-sharded-<size>` and compares it exactly on verify ("model-signing",
 * attestry's default, so that tool verifies our signatures); the spec text
 * and its JSON schema say `<hash>` ("spec"). Both are accepted on verify.
 */
export type ShardAlgorithmSpelling = 'model-signing' | 'spec';

export function resourceAlgorithm(
  s: Pick<OmsSerialization, 'method' | 'hash_type' | 'shard_size'>,
  spelling: ShardAlgorithmSpelling = 'model-signing',
): string {
  return s.method === 'shards' && spelling === 'model-signing'
    ? `${s.hash_type}-sharded-${s.shard_size ?? DEFAULT_SHARD_SIZE}`
    : s.hash_type;
}

export function acceptedAlgorithms(s: OmsSerialization): string[] {
  return s.method === 'shards' ? [s.hash_type, resourceAlgorithm(s)] : [s.hash_type];
}

export function shardName(path: string, start: number, end: number): string {
  return `${path}:${start}:${end}`;
}

/** Splits `<path>:<start>:<end>` on the last two colons (paths may contain colons, §6.3.2). */
export function parseShardName(name: string): { path: string; start: number; end: number } {
  const m = /^(.+):(\d+):(\d+)$/.exec(name);
  if (!m) throw new AttestryError('E_SIGNATURE_FORMAT', `shard resource "${name}" is not of the form <path>:<start>:<end>`);
  const start = Number(m[2]);
  const end = Number(m[3]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end <= start) {
    throw new AttestryError('E_SIGNATURE_FORMAT', `shard resource "${name}" has an invalid byte range`);
  }
  return { path: m[1]!, start, end };
}

/** Sort order model_signing uses: by path components, then shard offsets numerically. */
export function compareResources(method: 'files' | 'shards', a: string, b: string): number {
  if (method === 'files') return comparePaths(a, b);
  const sa = parseShardName(a);
  const sb = parseShardName(b);
  return comparePaths(sa.path, sb.path) || sa.start - sb.start || sa.end - sb.end;
}

/** §6.5.1: SHA-256 over the concatenated raw digests, in resource order. */
export function rootDigestHex(resources: readonly Pick<OmsResource, 'digest'>[]): string {
  return sha256Hex(Buffer.concat(resources.map((r) => Buffer.from(r.digest, 'hex'))));
}

export function buildOmsStatement(
  subjectName: string,
  resources: OmsResource[],
  serialization: OmsSerialization,
  metadata: ModelMetadata,
): Statement<OmsPredicate> {
  const annotations: Record<string, string> = {};
  for (const key of METADATA_KEYS) {
    const v = metadata[key];
    if (v !== undefined && v !== '') annotations[key] = v;
  }
  const subject = {
    name: subjectName,
    digest: { sha256: rootDigestHex(resources) },
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
  return buildStatement([subject], OMS_PREDICATE_TYPE, { resources, serialization });
}

const hex = z.string().regex(/^[0-9a-f]+$/, 'must be lowercase hex');

const ResourceSchema = z.looseObject({
  name: z.string().min(1),
  algorithm: z.string().min(1),
  digest: hex,
  annotations: z.record(z.string(), z.unknown()).optional(),
});

const SerializationSchema = z
  .object({
    method: z.enum(['files', 'shards']),
    hash_type: z.string().min(1),
    // v0.2-era compat code wrote the string "false"; read it as the boolean.
    allow_symlinks: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]),
    shard_size: z.number().int().positive().optional(),
    ignore_paths: z.array(z.string().min(1)).optional(),
  })
  .refine((s) => s.method !== 'shards' || s.shard_size !== undefined, {
    error: 'shard_size is required when method is "shards"',
    path: ['shard_size'],
  });

const PredicateSchema = z.object({
  resources: z.array(ResourceSchema).min(1, 'at least one resource is required'),
  serialization: SerializationSchema,
});

/**
 * A statement must describe every byte it covers once: no resource name twice
 * and, for shards, the ranges of each file contiguous from 0 (§6.3.2). Else
 * one file could be listed with two digests, or a verifier and a reader of the
 * statement could disagree about which digest covers which bytes.
 */
export function assertResourcesDescribeEachByteOnce(resources: readonly Pick<OmsResource, 'name'>[], method: 'files' | 'shards'): void {
  const names = new Set<string>();
  for (const r of resources) {
    if (names.has(r.name)) {
      throw new AttestryError(
        'E_SIGNATURE_FORMAT',
        `resource "${r.name}" is listed more than once in the signed statement; a signature names each ${method === 'files' ? 'file' : 'shard'} once`,
        { details: { resource: r.name } },
      );
    }
    names.add(r.name);
  }
  if (method !== 'shards') return;
  const byPath = new Map<string, { start: number; end: number; name: string }[]>();
  for (const r of resources) {
    const shard = parseShardName(r.name);
    const list = byPath.get(shard.path) ?? [];
    list.push({ start: shard.start, end: shard.end, name: r.name });
    byPath.set(shard.path, list);
  }
  for (const [path, ranges] of byPath) {
    ranges.sort((a, b) => a.start - b.start || a.end - b.end);
    if (ranges[0]!.start !== 0) {
      throw new AttestryError(
        'E_SIGNATURE_FORMAT',
        `the shards of "${path}" must start at 0; the first is "${ranges[0]!.name}" (a gap before it)`,
        { details: { resource: ranges[0]!.name } },
      );
    }
    for (let i = 1; i < ranges.length; i++) {
      const prev = ranges[i - 1]!;
      const cur = ranges[i]!;
      if (cur.start !== prev.end) {
        const what = cur.start < prev.end ? 'overlap' : 'leave a gap';
        throw new AttestryError(
          'E_SIGNATURE_FORMAT',
          `the shards "${prev.name}" and "${cur.name}" of "${path}" ${what}; shard ranges must be contiguous`,
          { details: { resource: cur.name } },
        );
      }
    }
  }
}

export interface ParsedOmsStatement {
  subjectName: string;
  /** The root digest recomputed from the resources. */
  rootDigest: string;
  /** Whether the subject's digest equals `rootDigest`; false means the statement was edited. */
  consistent: boolean;
  predicate: OmsPredicate;
  metadata: ModelMetadata;
  legacy: boolean;
}

/**
 * Validates an OMS statement and checks that the subject's root digest
 * matches the resources (E_SIGNATURE_INVALID if not, unless `allowInconsistent`,
 * which `inspect` uses to show what a damaged file claims).
 */
export function parseOmsStatement(statement: Statement, options: { allowInconsistent?: boolean } = {}): ParsedOmsStatement {
  if (statement.predicateType === OMS_LEGACY_PREDICATE_TYPE) return parseLegacy(statement);
  if (statement.predicateType !== OMS_PREDICATE_TYPE) {
    throw new AttestryError('E_SIGNATURE_FORMAT', `predicateType is "${statement.predicateType}", expected "${OMS_PREDICATE_TYPE}"`);
  }
  if (statement.subject.length !== 1) {
    throw new AttestryError('E_SIGNATURE_FORMAT', `an OMS statement has exactly one subject, found ${statement.subject.length}`);
  }
  const subject = statement.subject[0]!;
  const predicate = parseWith(PredicateSchema, statement.predicate, 'OMS predicate', 'E_SIGNATURE_FORMAT') as OmsPredicate;
  assertResourcesDescribeEachByteOnce(predicate.resources, predicate.serialization.method);
  const rootDigest = subject.digest['sha256'];
  if (rootDigest === undefined) throw new AttestryError('E_SIGNATURE_FORMAT', 'subject[0].digest.sha256 is missing');
  const computed = rootDigestHex(predicate.resources);
  const consistent = computed === rootDigest.toLowerCase();
  if (!consistent && !options.allowInconsistent) {
    throw new AttestryError(
      'E_SIGNATURE_INVALID',
      `manifest is inconsistent: subject digest is ${rootDigest}, the resources hash to ${computed}`,
    );
  }
  const metadata: ModelMetadata = {};
  const ann = subject.annotations ?? {};
  for (const key of METADATA_KEYS) {
    const v = ann[key];
    if (typeof v === 'string') metadata[key] = v;
  }
  return { subjectName: subject.name ?? '', rootDigest: computed, consistent, predicate, metadata, legacy: false };
}

function parseLegacy(statement: Statement): ParsedOmsStatement {
  const resources = statement.subject.map((s, i) => {
    const d = s.digest['sha256'];
    if (!s.name || !d) throw new AttestryError('E_SIGNATURE_FORMAT', `subject[${i}] needs a name and a sha256 digest`);
    return { name: s.name, algorithm: 'sha256', digest: d.toLowerCase() };
  });
  assertResourcesDescribeEachByteOnce(resources, 'files');
  return {
    subjectName: 'model',
    rootDigest: rootDigestHex(resources),
    consistent: true,
    predicate: { resources, serialization: { method: 'files', hash_type: 'sha256', allow_symlinks: false } },
    metadata: {},
    legacy: true,
  };
}
