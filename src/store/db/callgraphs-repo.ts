import type { Kysely } from 'kysely';
import { isUniqueViolation } from './connect.js';
import type { Database, SignalsCallgraphsTable } from './schema.js';

/** A stored callgraph as the Signals use cases see it (integers as numbers, JSON parsed). */
export interface CallgraphRow {
  readonly graphId: string;
  readonly tenant: string;
  readonly language: string;
  readonly source: string;
  readonly componentPurl: string;
  readonly purlKey: string;
  readonly purlVersion: string | null;
  /** sha256 of the normalised NDJSON: the manifest's `digest`. */
  readonly digest: string;
  readonly rawDigest: string;
  readonly rawSize: number;
  readonly form: string;
  readonly nodeCount: number;
  readonly edgeCount: number;
  readonly entryPoints: readonly string[];
  readonly createdAt: string;
  readonly signerKeyId: string | null;
  readonly signature: string | null;
  readonly rekorUuid: string | null;
  readonly skipReason: string | null;
  readonly contentDigest: string;
  readonly contentSize: number;
  readonly normalizedSize: number;
  readonly metaDigest: string;
  readonly metaSize: number;
  readonly manifestDigest: string;
  readonly manifestSize: number;
  readonly state: 'writing' | 'stored';
  readonly updatedAt: string;
}

/** Where a by-PURL page resumes: after this (createdAt, graphId), newest first. */
export interface CallgraphCursor {
  readonly createdAt: string;
  readonly graphId: string;
}

const toTable = (r: CallgraphRow): SignalsCallgraphsTable => ({
  graph_id: r.graphId,
  tenant: r.tenant,
  language: r.language,
  source: r.source,
  component_purl: r.componentPurl,
  purl_key: r.purlKey,
  purl_version: r.purlVersion,
  digest: r.digest,
  raw_digest: r.rawDigest,
  raw_size: r.rawSize,
  form: r.form,
  node_count: r.nodeCount,
  edge_count: r.edgeCount,
  entry_points: JSON.stringify(r.entryPoints),
  created_at: r.createdAt,
  signer_key_id: r.signerKeyId,
  signature: r.signature,
  rekor_uuid: r.rekorUuid,
  skip_reason: r.skipReason,
  content_digest: r.contentDigest,
  content_size: r.contentSize,
  normalized_size: r.normalizedSize,
  meta_digest: r.metaDigest,
  meta_size: r.metaSize,
  manifest_digest: r.manifestDigest,
  manifest_size: r.manifestSize,
  state: r.state,
  updated_at: r.updatedAt,
});

const fromTable = (t: SignalsCallgraphsTable): CallgraphRow => ({
  graphId: t.graph_id,
  tenant: t.tenant,
  language: t.language,
  source: t.source,
  componentPurl: t.component_purl,
  purlKey: t.purl_key,
  purlVersion: t.purl_version,
  digest: t.digest,
  rawDigest: t.raw_digest,
  rawSize: Number(t.raw_size),
  form: t.form,
  nodeCount: Number(t.node_count),
  edgeCount: Number(t.edge_count),
  entryPoints: JSON.parse(t.entry_points) as string[],
  createdAt: t.created_at,
  signerKeyId: t.signer_key_id,
  signature: t.signature,
  rekorUuid: t.rekor_uuid,
  skipReason: t.skip_reason,
  contentDigest: t.content_digest,
  contentSize: Number(t.content_size),
  normalizedSize: Number(t.normalized_size),
  metaDigest: t.meta_digest,
  metaSize: Number(t.meta_size),
  manifestDigest: t.manifest_digest,
  manifestSize: Number(t.manifest_size),
  state: t.state,
  updatedAt: t.updated_at,
});

/**
 * signals_callgraphs on SQLite and PostgreSQL. A row is written as an
 * intent ('writing') once the graph's blobs are durable and becomes 'stored'
 * when its manifest is a locker record: readers see stored rows only.
 */
export class CallgraphsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** Inserts the row; false when a row with this graph id exists already (nothing written). */
  async insert(row: CallgraphRow): Promise<boolean> {
    try {
      await this.db.insertInto('signals_callgraphs').values(toTable(row)).execute();
      return true;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }

  /** The row of this id in any state (the use cases decide what a 'writing' row means). */
  async get(graphId: string): Promise<CallgraphRow | undefined> {
    const row = await this.db.selectFrom('signals_callgraphs').selectAll().where('graph_id', '=', graphId).executeTakeFirst();
    return row === undefined ? undefined : fromTable(row);
  }

  /** The acknowledgement: an intent becomes stored with its log fields; false when it was not an intent. */
  async markStored(
    graphId: string,
    log: { readonly rekorUuid: string | null; readonly skipReason: string | null },
    now: Date,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('signals_callgraphs')
      .set({ state: 'stored', rekor_uuid: log.rekorUuid, skip_reason: log.skipReason, updated_at: now.toISOString() })
      .where('graph_id', '=', graphId)
      .where('state', '=', 'writing')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Removes an intent that cannot be completed (its blobs are left to GC); stored rows are never removed here. */
  async deleteIntent(graphId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('signals_callgraphs')
      .where('graph_id', '=', graphId)
      .where('state', '=', 'writing')
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /** Intents last touched before `before` (ISO-8601), oldest first: what repair looks at. */
  async intentsBefore(before: string, limit: number): Promise<CallgraphRow[]> {
    const rows = await this.db
      .selectFrom('signals_callgraphs')
      .selectAll()
      .where('state', '=', 'writing')
      .where('updated_at', '<', before)
      .orderBy('updated_at')
      .orderBy('graph_id')
      .limit(limit)
      .execute();
    return rows.map(fromTable);
  }

  /**
   * Stored callgraphs of a component, newest first (created_at, then graph
   * id, both descending), in the given tenants. `version` null matches every
   * version of the package; otherwise that version only.
   */
  async findByPurl(query: {
    readonly tenants: readonly string[] | '*';
    readonly purlKey: string;
    readonly version: string | null;
    readonly after?: CallgraphCursor | undefined;
    readonly limit: number;
  }): Promise<CallgraphRow[]> {
    if (query.tenants !== '*' && query.tenants.length === 0) return [];
    let q = this.db.selectFrom('signals_callgraphs').selectAll().where('purl_key', '=', query.purlKey).where('state', '=', 'stored');
    if (query.tenants !== '*') q = q.where('tenant', 'in', query.tenants);
    if (query.version !== null) q = q.where('purl_version', '=', query.version);
    const after = query.after;
    if (after !== undefined) {
      q = q.where((eb) =>
        eb.or([
          eb('created_at', '<', after.createdAt),
          eb.and([eb('created_at', '=', after.createdAt), eb('graph_id', '<', after.graphId)]),
        ]),
      );
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('graph_id', 'desc').limit(query.limit).execute();
    return rows.map(fromTable);
  }

  /** Those of `ids` that name a callgraph row (any state): GC keeps their blobs. */
  async existing(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += 1000) {
      const rows = await this.db
        .selectFrom('signals_callgraphs')
        .select('graph_id')
        .where('graph_id', 'in', ids.slice(i, i + 1000))
        .execute();
      for (const r of rows) found.add(r.graph_id);
    }
    return found;
  }
}
