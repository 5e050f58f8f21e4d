/**
 * `--reuse-digests OLD.sig`: trust the digests of files whose size and mtime
 * are unchanged since OLD.sig. The old signature must verify with the signing
 * key, so a forged or foreign OLD.sig cannot smuggle digests into a new one.
 * Trade-off (documented): a change that keeps both size and mtime is missed.
 *
 * Sizes and mtimes are not signed: they would make two signatures of the same
 * files differ. They live in a sidecar next to the signature,
 * `<signature>.reuse.json`, bound to it by the SHA-256 of its DSSE payload, so
 * a sidecar left over from another signature is not used. Digests always come
 * from the verified statement; the sidecar only says which files look
 * unchanged. Signatures made before the sidecar existed carry the same data in
 * `annotations.fileSize`/`fileMtimeNs` of each resource; those are read too.
 */
import { existsSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { writeFileAtomic } from '../core/atomic-file.js';
import { readTextFileBounded } from '../core/bounded-read.js';
import { sha256Hex } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import { parseJsonText, parseWith } from '../core/validation.js';
import { verifyEnvelope } from '../crypto/dsse.js';
import { createVerifier } from '../crypto/signer.js';
import { parseStatement } from '../crypto/intoto.js';
import type { FileStat, ReusableFile } from './manifest.js';
import { parseOmsStatement, parseShardName, type OmsSerialization } from './oms.js';
import { MAX_SIGNATURE_BYTES, readSignatureFile } from './signature-file.js';

export const REUSE_SIDECAR_SUFFIX = '.reuse.json';

/** Where the sidecar of a signature file lives. */
export function reuseSidecarPath(signaturePath: string): string {
  return `${signaturePath}${REUSE_SIDECAR_SUFFIX}`;
}

const SidecarSchema = z.object({
  version: z.literal(1),
  /** Hex SHA-256 of the DSSE payload (the signed statement bytes) this sidecar belongs to. */
  payloadSha256: z.string().regex(/^[0-9a-f]{64}$/),
  files: z.record(z.string(), z.object({ size: z.number().int().nonnegative(), mtimeNs: z.string().regex(/^\d+$/) })),
});

/** Writes the sidecar of a freshly written signature (atomically; after the signature itself). */
export function writeReuseSidecar(signaturePath: string, payload: Uint8Array, stats: ReadonlyMap<string, FileStat>): void {
  const files: Record<string, FileStat> = {};
  for (const name of [...stats.keys()].sort()) files[name] = stats.get(name)!;
  writeFileAtomic(reuseSidecarPath(signaturePath), JSON.stringify({ version: 1, payloadSha256: sha256Hex(payload), files }));
}

/** The sidecar's stats when it exists and belongs to this payload; undefined otherwise. */
function readSidecar(signaturePath: string, payload: Buffer): Map<string, FileStat> | undefined {
  const path = reuseSidecarPath(signaturePath);
  if (!existsSync(path)) return undefined;
  const text = readTextFileBounded(path, MAX_SIGNATURE_BYTES, 'reuse sidecar');
  const sidecar = parseWith(
    SidecarSchema,
    parseJsonText(text, `reuse sidecar ${path}`, 'E_INVALID_INPUT'),
    `reuse sidecar ${path}`,
    'E_INVALID_INPUT',
  );
  if (sidecar.payloadSha256 !== sha256Hex(payload)) return undefined;
  return new Map(Object.entries(sidecar.files));
}

export function reusableFromSignature(path: string, publicKey: KeyObject, serialization: OmsSerialization): Map<string, ReusableFile> {
  const bundle = readSignatureFile(path);
  let payload: Buffer;
  try {
    payload = verifyEnvelope(bundle.dsseEnvelope, [createVerifier(publicKey)]).payload;
  } catch (e) {
    throw new AttestryError(
      'E_SIGNATURE_INVALID',
      `--reuse-digests: ${path} was not signed by this signing key; its digests cannot be reused`,
      { cause: e },
    );
  }
  const parsed = parseOmsStatement(parseStatement(parseJsonText(payload.toString('utf8'), 'DSSE payload', 'E_SIGNATURE_FORMAT')));
  const old = parsed.predicate.serialization;
  const reuse = new Map<string, ReusableFile>();
  // Digests are only reusable when they were computed the same way.
  if (old.method !== serialization.method || old.hash_type !== serialization.hash_type || old.shard_size !== serialization.shard_size) {
    return reuse;
  }
  const sidecar = readSidecar(path, payload);
  for (const r of parsed.predicate.resources) {
    const file = old.method === 'files' ? r.name : parseShardName(r.name).path;
    let stat = sidecar?.get(file);
    if (stat === undefined && sidecar === undefined) {
      const size = r.annotations?.['fileSize'];
      const mtime = r.annotations?.['fileMtimeNs'];
      if (typeof size === 'number' && typeof mtime === 'string') stat = { size, mtimeNs: mtime };
    }
    if (stat === undefined) continue;
    const entry = reuse.get(file) ?? { size: stat.size, mtimeNs: stat.mtimeNs, resources: [] };
    // The spelling of `algorithm` is re-applied by hashModel for the new signature.
    entry.resources.push({ name: r.name, algorithm: r.algorithm, digest: r.digest });
    reuse.set(file, entry);
  }
  return reuse;
}
