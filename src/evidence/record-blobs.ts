import { AttestryError } from '../core/errors.js';
import { parseDigest, type Digest } from '../core/digest.js';
import type { KindRegistry } from '../kinds/registry.js';
import type { CasKey } from '../store/blob/cas-key.js';

/** A blob a domain stores with a record besides the signed upload (e.g. a callgraph's `.ndjson.zst`). */
export interface ExtraBlob {
  /** A role the record's kind declares in `blobs` (not `primary`). */
  readonly role: string;
  readonly bytes: Uint8Array;
  /** sha256 of `bytes` as the caller computed it; a mismatch stores nothing (E_DIGEST_MISMATCH). */
  readonly digest: string;
}

export interface PlannedBlob {
  readonly role: string;
  readonly key: CasKey;
  readonly bytes: Uint8Array;
  readonly digest: Digest;
}

/**
 * Where each extra blob of a new record goes: every role must be one the
 * kind declares, once, and never `primary` (that is the signed upload).
 */
export function planExtraBlobs(kinds: KindRegistry, kind: string, tenant: string, id: string, extras: readonly ExtraBlob[]): PlannedBlob[] {
  if (extras.length === 0) return [];
  const declared = kinds.get(kind)?.blobs;
  const seen = new Set<string>();
  return extras.map((b) => {
    const template = b.role === 'primary' ? undefined : declared?.[b.role];
    if (template === undefined || seen.has(b.role)) {
      throw new AttestryError(
        'E_INVALID_INPUT',
        `blob role "${b.role.slice(0, 64)}" is not one a record of kind ${kind} may carry${seen.has(b.role) ? ' twice' : ''} (declared: ${
          Object.keys(declared ?? {})
            .filter((r) => r !== 'primary')
            .join(', ') || 'none'
        })`,
      );
    }
    seen.add(b.role);
    return {
      role: b.role,
      key: kinds.blobKey(kind, b.role, tenant, id),
      bytes: b.bytes,
      digest: parseDigest(b.digest, `blob ${b.role} digest`),
    };
  });
}
