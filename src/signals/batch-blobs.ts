import { createHash } from 'node:crypto';
import { parseDigest } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import { zstdDecompressStream } from '../core/zstd.js';
import type { CasKey } from '../store/blob/cas-key.js';
import type { BatchRow } from '../store/db/batches-repo.js';
import type { SignalsDeps } from './deps.js';
import { parseProvenance } from './provenance.js';
import type { RuntimeFactProvenance } from './types.js';

/**
 * The two blobs of a runtime-fact batch (seed 000 §3.1), keyed through the
 * kind registry, and reading them back checked: the compressed blob against
 * the digest recorded at write time, the decompressed bytes against the
 * batch's provenanceHash. Shared by reads, streaming and repair.
 */

export const RUNTIME_FACTS_KIND = 'runtime-facts';
export const ATTESTATIONS_KIND = 'attestations';

export const contentKey = (deps: Pick<SignalsDeps, 'kinds'>, tenant: string, batchId: string): CasKey =>
  deps.kinds.blobKey(RUNTIME_FACTS_KIND, 'content', tenant, batchId);

export const provenanceKey = (deps: Pick<SignalsDeps, 'kinds'>, tenant: string, batchId: string): CasKey =>
  deps.kinds.blobKey(RUNTIME_FACTS_KIND, 'primary', tenant, batchId);

/** Stored blobs that are gone or changed are damage, not "not found" or bad input. */
function asIntegrity(e: unknown, what: string): unknown {
  if (!(e instanceof AttestryError)) return e;
  if (e.code === 'E_INTEGRITY') return e;
  if (e.code === 'E_NOT_FOUND')
    return new AttestryError('E_INTEGRITY', `${what} is missing from the blob store; it is not served`, { cause: e });
  if (e.code === 'E_INVALID_INPUT' || e.code === 'E_PAYLOAD_TOO_LARGE') {
    return new AttestryError('E_INTEGRITY', `${what} is damaged (${e.message}); it is not served`, { cause: e });
  }
  return e;
}

/**
 * The batch's raw bytes as received: opens the compressed blob now (so a
 * missing blob fails the call, not the stream) and yields the decompressed
 * bytes; the iteration fails with E_INTEGRITY at the end when they do not
 * hash to provenanceHash, or as soon as they run past the recorded size.
 */
export async function openRawContent(deps: SignalsDeps, row: BatchRow): Promise<AsyncIterable<Buffer>> {
  const what = `fact blob of batch ${row.batchId}`;
  if (row.contentDigest === null) throw new AttestryError('E_INTEGRITY', `${what} was never recorded; it is not served`);
  let compressed: AsyncIterable<Uint8Array>;
  try {
    compressed = await deps.blobs.getStream(contentKey(deps, row.tenant, row.batchId), parseDigest(row.contentDigest, 'stored digest'));
    deps.events.casOperation('get', 'success');
  } catch (e) {
    deps.events.casOperation('get', e instanceof AttestryError && e.code === 'E_NOT_FOUND' ? 'integrity_failure' : 'failure');
    throw asIntegrity(e, what);
  }
  return checkedRaw(deps, compressed, row, what);
}

async function* checkedRaw(deps: SignalsDeps, compressed: AsyncIterable<Uint8Array>, row: BatchRow, what: string): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of zstdDecompressStream(compressed, row.rawSize, what)) {
      hash.update(chunk);
      yield chunk;
    }
  } catch (e) {
    deps.events.casOperation('get', 'integrity_failure');
    throw asIntegrity(e, what);
  }
  const actual = `sha256:${hash.digest('hex')}`;
  if (actual !== row.provenanceHash) {
    deps.events.casOperation('get', 'integrity_failure');
    throw new AttestryError('E_INTEGRITY', `${what} hashes to ${actual}, not its provenanceHash ${row.provenanceHash}; it is not served`, {
      details: { batchId: row.batchId, expected: row.provenanceHash, actual },
    });
  }
}

/** The stored `.provenance.json`, checked against its recorded digest and parsed. */
export async function readProvenanceBlob(deps: SignalsDeps, row: BatchRow): Promise<RuntimeFactProvenance> {
  const what = `provenance record of batch ${row.batchId}`;
  if (row.provenanceDigest === null) throw new AttestryError('E_INTEGRITY', `${what} was never recorded; it is not served`);
  let bytes: Buffer;
  try {
    bytes = await deps.blobs.get(
      provenanceKey(deps, row.tenant, row.batchId),
      parseDigest(row.provenanceDigest, 'stored digest'),
      1024 * 1024,
    );
    deps.events.casOperation('get', 'success');
  } catch (e) {
    deps.events.casOperation(
      'get',
      e instanceof AttestryError && (e.code === 'E_INTEGRITY' || e.code === 'E_NOT_FOUND') ? 'integrity_failure' : 'failure',
    );
    throw asIntegrity(e, what);
  }
  return parseProvenance(bytes, what);
}

/** Deletes a batch's blobs (either may be absent); errors are reported, not thrown: GC collects what is left. */
export async function deleteBatchBlobs(deps: SignalsDeps, tenant: string, batchId: string): Promise<void> {
  for (const key of [contentKey(deps, tenant, batchId), provenanceKey(deps, tenant, batchId)]) {
    try {
      await deps.blobs.delete(key);
      deps.events.casOperation('delete', 'success');
    } catch {
      deps.events.casOperation('delete', 'failure');
    }
  }
}
