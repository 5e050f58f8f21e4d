import { AttestryError } from '../../core/errors.js';

/**
 * A blob key relative to the bucket prefix. Keys are minted from validated
 * ids by the kind registry (src/kinds/registry.ts, `blobKey`), never from a
 * caller's string; the store only re-validates keys it reads back from a
 * listing (below). The store does not know the kinds: it sits below them.
 */
export type CasKey = string & { readonly __casKey: unique symbol };

const SEGMENT_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Deep enough for `<kind>/<tenant>/<id>.<ext>` with room for a domain's extra level. */
const MAX_SEGMENTS = 6;

/** True when `value` is a relative path of safe segments: no `..`, no absolute path, no empty segment. */
export function isSafeKeyPath(value: string): boolean {
  const segments = value.split('/');
  return segments.length >= 2 && segments.length <= MAX_SEGMENTS && segments.every((s) => SEGMENT_RE.test(s) && !s.includes('..'));
}

/**
 * Re-validates a key read back from a listing, so a stray file in the store
 * cannot smuggle `..` or an absolute path into a later operation. Which kind
 * a key belongs to is the registry's question (`KindRegistry.parseCasKey`).
 */
export function parseStoredKey(value: string): CasKey {
  if (!isSafeKeyPath(value)) throw new AttestryError('E_INVALID_INPUT', `"${value.slice(0, 120)}" is not a CAS key of this layout`);
  return value as CasKey;
}

/**
 * `cas://signals/some/prefix` → bucket "signals", prefix "some/prefix".
 * The bucket is the S3 bucket, or a directory under the filesystem root.
 */
export function parseBucketPrefix(value: string): { bucket: string; prefix: string } {
  const m = /^cas:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])((?:\/[A-Za-z0-9._-]+)*)\/?$/.exec(value);
  if (!m || value.includes('..')) {
    throw new AttestryError('E_CONFIG', `BucketPrefix "${value}" must look like cas://<bucket>[/<prefix>] (bucket: 3-63 of a-z 0-9 . -)`);
  }
  return { bucket: m[1] as string, prefix: (m[2] ?? '').replace(/^\//, '') };
}
