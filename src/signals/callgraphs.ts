import type { Readable } from 'node:stream';
import { authorize, writeTenant, type Principal } from '../authz/principal.js';
import { parseDigest, sha256Digest } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import { parseUlid } from '../core/ids.js';
import { parseTenantId } from '../core/tenant.js';
import { CallgraphsRepo, type CallgraphRow } from '../store/db/callgraphs-repo.js';
import { parseCallgraph, type ParsedCallgraph } from './callgraph-input.js';
import { contentKey, counted, manifestKey, metaKey, putContent, putMeta, readContent } from './callgraph-blobs.js';
import { normalizedDigest } from './callgraph-normalize.js';
import { CallgraphReads, manifestOfRow } from './callgraph-reads.js';
import type { SignalsDeps } from './deps.js';
import { envelopeBytes, manifestEnvelope, manifestFileBytes, signManifest, unsignedManifest, type ManifestFields } from './manifest.js';
import { parseLanguage } from './languages.js';
import { parsePurl } from './purl.js';
import type { CallgraphForm, CallgraphManifest, SignalsUseCases, StoreCallgraphQuery } from './types.js';

type CallgraphUseCases = Pick<SignalsUseCases, 'storeCallgraph' | 'getCallgraph' | 'getManifest' | 'getManifestEnvelope' | 'findByPurl'>;

const SOURCE_RE = /^[^\u0000-\u001f\u007f]{1,256}$/;

function parseSource(value: unknown): string {
  if (typeof value !== 'string' || !SOURCE_RE.test(value))
    throw new AttestryError(
      'E_INVALID_INPUT',
      'source: expected 1-256 printable characters naming the scanner or analyzer (e.g. stella-callgraph-node)',
    );
  return value;
}

/** The Signals Service acting for one tenant: seed 000 §3.2 lets it write manifests, which uploaders (scanner-worker) may not. */
export function signalsServicePrincipal(tenant: string, on: Principal): Principal {
  return { tokenId: `signals-service:${on.tokenId}`, role: 'signals-service', tenants: [tenant] };
}

/**
 * Seed 000 callgraphs: store (§4, §6.1, §10 rules 1-5), read back with their
 * signed manifests (rule 7), find by component. A write is acknowledged in
 * three durable steps, each repairable: the graph's blobs, then an intent
 * row ('writing'), then the manifest as a locker record (signed, logged),
 * after which the row is marked 'stored'. A crash before the row leaves
 * unreferenced blobs (GC); after it, `repairCallgraphs` finishes the write
 * from the row, which holds everything the manifest and its envelope are
 * rebuilt from (same bytes, so the locker sees the same record).
 */
export class CallgraphService implements CallgraphUseCases {
  readonly #d: SignalsDeps;
  readonly #repo: CallgraphsRepo;
  readonly #reads: CallgraphReads;
  /** Uploads of one graph id on this node run one at a time (a retry racing its original). */
  readonly #writing = new Map<string, Promise<unknown>>();

  constructor(deps: SignalsDeps) {
    this.#d = deps;
    this.#repo = new CallgraphsRepo(deps.db);
    this.#reads = new CallgraphReads(deps, this.#repo);
  }

  async storeCallgraph(
    principal: Principal,
    query: StoreCallgraphQuery,
    body: AsyncIterable<Uint8Array>,
    form: CallgraphForm,
  ): Promise<{ manifest: CallgraphManifest; created: boolean }> {
    const d = this.#d;
    // §9: refused before a byte of the body is read.
    if (d.switches.writesOff !== undefined) throw new AttestryError('E_READ_ONLY', d.switches.writesOff);
    const tenant = writeTenant(principal, query.tenant === undefined ? undefined : parseTenantId(query.tenant));
    authorize(principal, tenant, 'callgraphs', 'write', () => new AttestryError('E_NOT_FOUND', `unknown tenant "${tenant}"`), d.kinds);
    const language = parseLanguage(query.language);
    const source = parseSource(query.source);
    const purl = parsePurl(query.componentPurl, 'componentPurl');
    const chosenId = query.graphId === undefined ? undefined : parseUlid(query.graphId, 'graphId');
    const expected = query.digest === undefined ? undefined : parseDigest(query.digest, 'digest');
    if ((await d.tenants.get(tenant)) === undefined)
      throw new AttestryError('E_NOT_FOUND', `unknown tenant "${tenant}" (add it with: attestry tenant add ${tenant})`);

    const graph = await parseCallgraph(body, form, {
      maxBytes: d.limits.maxCallgraphBytes,
      maxLineBytes: d.limits.maxLineBytes,
      maxNodes: d.limits.maxNodes,
      maxEdges: d.limits.maxEdges,
    });
    if (expected !== undefined && expected !== graph.rawDigest) {
      throw new AttestryError(
        'E_DIGEST_MISMATCH',
        `digest: the body hashes to ${graph.rawDigest}, not the declared ${expected}; nothing stored`,
        {
          details: { expected, actual: graph.rawDigest },
        },
      );
    }
    const upload = { tenant, language, source, componentPurl: purl.canonical, purlKey: purl.key, purlVersion: purl.version };
    if (chosenId === undefined) return this.#storeNew(principal, d.ids.next(), upload, graph);
    return this.#serialised(chosenId, async () => {
      const existing = await this.#repo.get(chosenId);
      if (existing !== undefined) return this.#retry(principal, existing, upload, normalizedDigest(graph));
      return this.#storeNew(principal, chosenId, upload, graph);
    });
  }

  async #storeNew(
    principal: Principal,
    id: string,
    upload: Upload,
    graph: ParsedCallgraph,
  ): Promise<{ manifest: CallgraphManifest; created: boolean }> {
    const d = this.#d;
    const content = await putContent(d, upload.tenant, id, graph);
    const fields: ManifestFields = {
      graphId: id,
      digest: content.digest,
      language: upload.language,
      source: upload.source,
      createdAt: d.clock.now().toISOString(),
      tenantId: upload.tenant,
      componentPurl: upload.componentPurl,
      entryPoints: [...new Set(graph.entryPoints)].sort(),
      nodeCount: graph.nodes.length,
      edgeCount: graph.edges.length,
    };
    const meta = await putMeta(d, fields, graph, content);
    const signingOff = d.switches.manifestSigningOff;
    const manifest =
      signingOff === undefined ? signManifest(fields, d.signer, d.signerKeyId).manifest : unsignedManifest(fields, signingOff);
    const file = manifestFileBytes(manifest);
    const now = d.clock.now().toISOString();
    const row: CallgraphRow = {
      ...fields,
      tenant: upload.tenant,
      purlKey: upload.purlKey,
      purlVersion: upload.purlVersion,
      rawDigest: graph.rawDigest,
      rawSize: graph.rawBytes,
      form: graph.form,
      signerKeyId: manifest.signerKeyId,
      signature: manifest.signature,
      rekorUuid: null,
      skipReason: manifest.skipReason ?? null,
      contentDigest: content.contentDigest,
      contentSize: content.contentSize,
      normalizedSize: content.normalizedSize,
      metaDigest: meta.digest,
      metaSize: meta.size,
      manifestDigest: sha256Digest(file),
      manifestSize: file.length,
      state: 'writing',
      updatedAt: now,
    };
    if (!(await this.#repo.insert(row))) {
      // Another node stored this id meanwhile: the same upload is a retry, other content a conflict.
      const winner = await this.#repo.get(id);
      if (winner === undefined) throw new AttestryError('E_INTERNAL', `callgraph ${id} vanished during a concurrent upload`);
      return this.#retry(principal, winner, upload, content.digest);
    }
    const stored = await this.#complete(principal, row);
    d.events.callgraphStored(stored.language, stored.tenantId, stored.nodeCount);
    return { manifest: stored, created: true };
  }

  /** A graph id already used: the same upload again returns the stored manifest; anything else is E_CONFLICT. */
  async #retry(
    principal: Principal,
    existing: CallgraphRow,
    upload: Upload,
    digest: string,
  ): Promise<{ manifest: CallgraphManifest; created: boolean }> {
    const same =
      existing.tenant === upload.tenant &&
      existing.digest === digest &&
      existing.language === upload.language &&
      existing.source === upload.source &&
      existing.componentPurl === upload.componentPurl;
    if (!same)
      throw new AttestryError(
        'E_CONFLICT',
        `callgraph ${existing.graphId} exists with other content; a graph id names one upload (omit graphId to store a new graph)`,
      );
    // An intent a crash left behind is finished by its retry.
    if (existing.state === 'writing') return { manifest: await this.#complete(principal, existing), created: false };
    return { manifest: await this.#reads.manifestOf(existing, true), created: false };
  }

  /** Manifest into the locker (signed) or the blob store (unsigned), then the row becomes 'stored': the acknowledgement. */
  async #complete(principal: Principal, row: CallgraphRow): Promise<CallgraphManifest> {
    const d = this.#d;
    const manifest = manifestOfRow(row);
    const file = manifestFileBytes(manifest);
    let log: { rekorUuid: string | null; skipReason: string | null };
    if (manifest.signature !== null) {
      const stored = await d.locker.putRecord(signalsServicePrincipal(row.tenant, principal), {
        tenant: row.tenant,
        id: row.graphId,
        envelope: envelopeBytes(manifestEnvelope(manifest)),
        extraBlobs: [{ role: 'manifest', bytes: file, digest: sha256Digest(file) }],
      });
      log =
        stored.rekorUuid !== null
          ? { rekorUuid: stored.rekorUuid, skipReason: null }
          : { rekorUuid: null, skipReason: d.switches.loggingOff ?? stored.skipReason ?? 'not transparency-logged' };
    } else {
      await counted(d, 'put', () => d.blobs.put(manifestKey(d, row.tenant, row.graphId), file, sha256Digest(file)));
      log = { rekorUuid: null, skipReason: row.skipReason };
    }
    await this.#repo.markStored(row.graphId, log, d.clock.now());
    return { ...manifest, rekorUuid: log.rekorUuid, ...(log.skipReason === null ? {} : { skipReason: log.skipReason }) };
  }

  async #serialised<T>(id: string, run: () => Promise<T>): Promise<T> {
    const before = this.#writing.get(id) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(run);
    this.#writing.set(id, mine);
    try {
      return await mine;
    } finally {
      if (this.#writing.get(id) === mine) this.#writing.delete(id);
    }
  }

  /**
   * Finishes or removes callgraph writes a crash interrupted: intents last
   * touched more than `olderThanMs` ago (0, at SQLite start, means all; on
   * PostgreSQL with several nodes pass more than an upload takes). An intent
   * whose blobs are all there is completed (manifest stored, row 'stored');
   * one missing a blob is removed and its other blobs left to GC.
   */
  async repairCallgraphs(options: { olderThanMs?: number } = {}): Promise<{ completed: string[]; removed: string[] }> {
    const d = this.#d;
    const before = new Date(d.clock.now().getTime() - (options.olderThanMs ?? 0) + 1).toISOString();
    const completed: string[] = [];
    const removed: string[] = [];
    const repairer: Principal = { tokenId: 'repair', role: 'signals-service', tenants: '*' };
    for (;;) {
      const page = await this.#repo.intentsBefore(before, 100);
      for (const row of page) {
        const keys = [contentKey(d, row.tenant, row.graphId), metaKey(d, row.tenant, row.graphId)];
        const present = await Promise.all(keys.map((k) => d.blobs.head(k)));
        if (present.some((p) => p === undefined)) {
          if (await this.#repo.deleteIntent(row.graphId)) removed.push(row.graphId);
          continue;
        }
        await this.#serialised(row.graphId, () => this.#complete(repairer, row));
        completed.push(row.graphId);
        d.events.callgraphStored(row.language, row.tenant, row.nodeCount);
      }
      if (page.length < 100) break;
    }
    return { completed, removed };
  }

  async getCallgraph(principal: Principal, graphId: string): Promise<{ manifest: CallgraphManifest; content: Readable }> {
    const row = await this.#reads.visible(principal, graphId, 'callgraphs');
    const manifest = await this.#reads.manifestOf(row, true);
    return { manifest, content: await readContent(this.#d, row, manifest.digest) };
  }

  async getManifest(principal: Principal, graphId: string): Promise<CallgraphManifest> {
    return this.#reads.manifestOf(await this.#reads.visible(principal, graphId, 'manifests'), true);
  }

  async getManifestEnvelope(principal: Principal, graphId: string): Promise<Buffer> {
    return this.#reads.envelope(await this.#reads.visible(principal, graphId, 'manifests'));
  }

  findByPurl(
    principal: Principal,
    purl: string,
    query: { tenant?: string | undefined; limit?: number | undefined; cursor?: string | undefined },
  ): Promise<{ items: CallgraphManifest[]; next: string | undefined }> {
    return this.#reads.findByPurl(principal, purl, query);
  }
}

/** What an upload's query decides about the row it will store. */
type Upload = Pick<CallgraphRow, 'tenant' | 'language' | 'source' | 'componentPurl' | 'purlKey' | 'purlVersion'>;
