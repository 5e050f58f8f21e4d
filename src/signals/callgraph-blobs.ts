import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { canonicalBytes } from '../core/canonical-json.js';
import { sha256Digest, type Digest } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import { zstdCompressStream, zstdDecompressStream } from '../core/zstd.js';
import type { CasKey } from '../store/blob/cas-key.js';
import type { ParsedCallgraph } from './callgraph-input.js';
import { normalizedChunks } from './callgraph-normalize.js';
import type { SignalsDeps } from './deps.js';
import type { ManifestFields } from './manifest.js';

/**
 * The callgraph's own blobs (seed 000 §3.1): `callgraphs/{tenant}/{id}.ndjson.zst`,
 * the normalised graph compressed as it is produced (never whole in memory),
 * and `.meta.json`, what the upload was. Keys come from the kind registry.
 */

export interface StoredContent {
  /** sha256 of the normalised NDJSON (the manifest's digest). */
  readonly digest: Digest;
  readonly normalizedSize: number;
  /** The `.ndjson.zst` blob as stored. */
  readonly contentDigest: Digest;
  readonly contentSize: number;
}

export const contentKey = (d: Pick<SignalsDeps, 'kinds'>, tenant: string, id: string): CasKey =>
  d.kinds.blobKey('callgraphs', 'content', tenant, id);
export const metaKey = (d: Pick<SignalsDeps, 'kinds'>, tenant: string, id: string): CasKey =>
  d.kinds.blobKey('callgraphs', 'primary', tenant, id);
export const manifestKey = (d: Pick<SignalsDeps, 'kinds'>, tenant: string, id: string): CasKey =>
  d.kinds.blobKey('manifests', 'manifest', tenant, id);

/** The normalised NDJSON in chunks, reporting each to `seen` (hashing, counting) as the compressor pulls it. */
async function* observed(graph: ParsedCallgraph, seen: (chunk: Buffer) => void): AsyncGenerator<Buffer> {
  for (const chunk of normalizedChunks(graph)) {
    seen(chunk);
    yield chunk;
  }
}

/** Normalises, hashes, compresses and stores the graph in one pass. */
export async function putContent(d: SignalsDeps, tenant: string, id: string, graph: ParsedCallgraph): Promise<StoredContent> {
  const hash = createHash('sha256');
  let normalizedSize = 0;
  const chunks = observed(graph, (c) => {
    hash.update(c);
    normalizedSize += c.length;
  });
  const info = await counted(d, 'put', () => d.blobs.putStream(contentKey(d, tenant, id), zstdCompressStream(chunks)));
  return { digest: `sha256:${hash.digest('hex')}`, normalizedSize, contentDigest: info.digest, contentSize: info.size };
}

/** Stores `.meta.json`: what was uploaded and how it is stored (canonical JSON). */
export async function putMeta(
  d: SignalsDeps,
  fields: ManifestFields,
  graph: ParsedCallgraph,
  content: StoredContent,
): Promise<{ digest: Digest; size: number }> {
  const bytes = canonicalBytes({
    ...fields,
    form: graph.form,
    rawDigest: graph.rawDigest,
    rawBytes: graph.rawBytes,
    normalizedBytes: content.normalizedSize,
    content: { digest: content.contentDigest, size: content.contentSize, encoding: 'zstd' },
    // The upload's own metadata (stella.callgraph.v1 scanKey, artifacts, metadata) as plain JSON.
    ...(graph.meta === undefined ? {} : { meta: JSON.parse(JSON.stringify(graph.meta)) as unknown }),
  });
  const digest = sha256Digest(bytes);
  await counted(d, 'put', () => d.blobs.put(metaKey(d, fields.tenantId, fields.graphId), bytes, digest));
  return { digest, size: bytes.length };
}

/** A blob operation reported to telemetry (seed 000 §8.1 signals_cas_operations_total). */
export async function counted<T>(d: Pick<SignalsDeps, 'events'>, operation: 'put' | 'get', run: () => Promise<T>): Promise<T> {
  try {
    const result = await run();
    d.events.casOperation(operation, 'success');
    return result;
  } catch (e) {
    const integrity = e instanceof AttestryError && e.code === 'E_INTEGRITY';
    d.events.casOperation(operation, integrity ? 'integrity_failure' : 'failure');
    throw e;
  }
}

/**
 * The stored graph decompressed, as a stream that fails with E_INTEGRITY
 * unless the bytes hash to the manifest's digest (checked as they stream:
 * the last chunk is held back until the check passes, so a consumer never
 * sees a complete-looking graph that failed it).
 */
export async function readContent(
  d: SignalsDeps,
  row: { readonly tenant: string; readonly graphId: string; readonly contentDigest: string; readonly normalizedSize: number },
  manifestDigest: string,
): Promise<Readable> {
  const key = contentKey(d, row.tenant, row.graphId);
  const stored = await counted(d, 'get', async () => {
    try {
      return await d.blobs.getStream(key, row.contentDigest as Digest);
    } catch (e) {
      if (e instanceof AttestryError && e.code === 'E_NOT_FOUND')
        throw new AttestryError('E_INTEGRITY', `callgraph ${row.graphId}: its content blob ${key} is missing; it is not served`, {
          cause: e,
        });
      throw e;
    }
  });
  const what = `callgraph ${row.graphId}`;
  async function* checked(): AsyncGenerator<Buffer> {
    const hash = createHash('sha256');
    let held: Buffer | undefined;
    // The manifest bounds the size: more than that is damage, not a bigger graph.
    try {
      for await (const chunk of zstdDecompressStream(stored, row.normalizedSize, what)) {
        hash.update(chunk);
        if (held !== undefined) yield held;
        held = chunk;
      }
    } catch (e) {
      // Corrupt or oversized stored bytes are damage to what was acknowledged, not a bad request.
      if (e instanceof AttestryError && (e.code === 'E_PAYLOAD_TOO_LARGE' || e.code === 'E_INVALID_INPUT'))
        throw new AttestryError('E_INTEGRITY', `${what}: stored content does not decompress to the recorded graph (${e.message})`, {
          cause: e,
        });
      throw e;
    }
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== manifestDigest) {
      d.events.casOperation('get', 'integrity_failure');
      throw new AttestryError(
        'E_INTEGRITY',
        `${what}: stored content hashes to ${actual}, not the manifest digest ${manifestDigest}; it is not served`,
      );
    }
    if (held !== undefined) yield held;
  }
  return Readable.from(checked(), { objectMode: false });
}
