/**
 * `--reuse-digests OLD.sig`: trust the digests of files whose size and mtime
 * are unchanged since OLD.sig. The old signature must verify with the signing
 * key, so a forged or foreign OLD.sig cannot smuggle digests into a new one.
 * Trade-off (documented): a change that keeps both size and mtime is missed.
 */
import type { KeyObject } from 'node:crypto';
import { AttestryError } from '../core/errors.js';
import { verifyEnvelope } from '../crypto/dsse.js';
import { createVerifier } from '../crypto/signer.js';
import { parseStatement } from '../crypto/intoto.js';
import { parseJsonText } from '../core/validation.js';
import type { ReusableFile } from './manifest.js';
import { parseOmsStatement, parseShardName, type OmsSerialization } from './oms.js';
import { readSignatureFile } from './signature-file.js';

export function reusableFromSignature(path: string, publicKey: KeyObject, serialization: OmsSerialization): Map<string, ReusableFile> {
  const bundle = readSignatureFile(path);
  let payload: Buffer;
  try {
    payload = verifyEnvelope(bundle.dsseEnvelope, [createVerifier(publicKey)]).payload;
  } catch (e) {
    throw new AttestryError('E_SIGNATURE_INVALID', `--reuse-digests: ${path} was not signed by this signing key; its digests cannot be reused`, { cause: e });
  }
  const parsed = parseOmsStatement(parseStatement(parseJsonText(payload.toString('utf8'), 'DSSE payload', 'E_SIGNATURE_FORMAT')));
  const old = parsed.predicate.serialization;
  const reuse = new Map<string, ReusableFile>();
  // Digests are only reusable when they were computed the same way.
  if (old.method !== serialization.method || old.hash_type !== serialization.hash_type || old.shard_size !== serialization.shard_size) {
    return reuse;
  }
  for (const r of parsed.predicate.resources) {
    const size = r.annotations?.['fileSize'];
    const mtime = r.annotations?.['fileMtimeNs'];
    if (typeof size !== 'number' || typeof mtime !== 'string') continue;
    const file = old.method === 'files' ? r.name : parseShardName(r.name).path;
    const entry = reuse.get(file) ?? { size, mtimeNs: mtime, resources: [] };
    // The spelling of `algorithm` is re-applied by hashModel for the new signature.
    entry.resources.push({ name: r.name, algorithm: r.algorithm, digest: r.digest });
    reuse.set(file, entry);
  }
  return reuse;
}
