/**
 * The web console's evidence search: one box that takes a subject digest, a
 * Package URL, a callgraph id, a batch id, an evidence id or an AI artifact
 * id, and answers with what the token may read. Composed from the domains'
 * use cases (every read is authorised by them); an id that is none of a
 * kind's is simply not a hit of that kind.
 */
import type { Principal } from '../authz/principal.js';
import { AttestryError, isAttestryError } from '../core/errors.js';
import type { EvidenceLocker } from '../evidence/locker.js';
import type { ReviewUseCases } from '../ai/review-use-cases.js';
import type { CallgraphManifest, SignalsUseCases } from '../signals/types.js';
import type { EvidenceRow } from '../store/db/evidence-repo.js';

export type SearchHitType = 'evidence' | 'callgraph' | 'batch' | 'ai-artifact' | 'vex';

export interface SearchHit {
  readonly type: SearchHitType;
  readonly id: string;
  readonly tenant: string;
  /** One line saying what it is. */
  readonly label: string;
  readonly createdAt: string | null;
}

export interface SearchResult {
  readonly query: string;
  /** What the query was read as. */
  readonly as: 'subject-digest' | 'purl' | 'ai-artifact-id' | 'id';
  readonly hits: readonly SearchHit[];
  /** Kinds not searched because the token's role may not read them (so "no hits" is not read as "none exist"). */
  readonly withheld: readonly string[];
}

export interface SearchDeps {
  readonly locker: EvidenceLocker;
  readonly signals: SignalsUseCases;
  readonly review: ReviewUseCases;
}

const MAX_QUERY = 2048;
const LIMIT = 50;
const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
const ARTIFACT_RE = /^ai-artifact-[0-9]{8}-[0-9A-Za-z]{26}$/;

const FORBIDDEN = Symbol('forbidden');

const evidenceHit = (r: EvidenceRow): SearchHit => ({
  type: 'evidence',
  id: r.id,
  tenant: r.tenant,
  label: `${r.kind}${r.predicateType === null ? '' : ` · ${r.predicateType}`}`,
  createdAt: r.createdAt,
});
const callgraphHit = (m: CallgraphManifest): SearchHit => ({
  type: 'callgraph',
  id: m.graphId,
  tenant: m.tenantId,
  label: `callgraph of ${m.componentPurl} (${m.language}, ${m.nodeCount} nodes)`,
  createdAt: m.createdAt,
});

/** Not found or not an id of this kind: no hit; not readable by this role: FORBIDDEN. Anything else is the caller's to see. */
async function orNone<T>(read: () => Promise<T>): Promise<T | undefined | typeof FORBIDDEN> {
  try {
    return await read();
  } catch (e) {
    if (isAttestryError(e) && e.code === 'E_FORBIDDEN') return FORBIDDEN;
    if (isAttestryError(e) && (e.code === 'E_NOT_FOUND' || e.code === 'E_INVALID_INPUT')) return undefined;
    throw e;
  }
}

export async function searchEvidence(deps: SearchDeps, principal: Principal, raw: string): Promise<SearchResult> {
  const query = raw.trim();
  if (query === '' || query.length > MAX_QUERY)
    throw new AttestryError('E_INVALID_INPUT', `give a digest, Package URL or id of at most ${MAX_QUERY} characters`);
  const withheld: string[] = [];
  const readable = <T>(value: T | undefined | typeof FORBIDDEN, kind: string): T | undefined => {
    if (value !== FORBIDDEN) return value;
    withheld.push(kind);
    return undefined;
  };
  if (DIGEST_RE.test(query)) {
    const found = readable(await orNone(() => deps.locker.find(principal, { subject: query, limit: LIMIT })), 'evidence');
    return { query, as: 'subject-digest', hits: (found?.items ?? []).map(evidenceHit), withheld };
  }
  if (query.startsWith('pkg:')) {
    const graphs = readable(await orNone(() => deps.signals.findByPurl(principal, query, { limit: LIMIT })), 'callgraphs');
    const vex = readable(await orNone(() => deps.review.vex(principal, { purl: query, limit: LIMIT })), 'vex-statements') ?? [];
    const hits: SearchHit[] = [
      ...(graphs?.items ?? []).map(callgraphHit),
      ...vex.map((v): SearchHit => ({
        type: 'vex',
        id: v.artifactId,
        tenant: v.tenant,
        label: `VEX ${v.status} for ${v.vulnerability}`,
        createdAt: v.publishedAt,
      })),
    ];
    return { query, as: 'purl', hits, withheld };
  }
  if (ARTIFACT_RE.test(query)) {
    const item = readable(await orNone(() => deps.review.show(principal, query)), 'ai-reviews');
    const hits: SearchHit[] =
      item === undefined
        ? []
        : [
            {
              type: 'ai-artifact',
              id: item.artifactId,
              tenant: item.tenant,
              label: `${item.artifactType} by ${item.modelId} (${item.decision})`,
              createdAt: item.generatedAt,
            },
          ];
    return { query, as: 'ai-artifact-id', hits, withheld };
  }
  const [batchRead, graphRead, recordRead] = await Promise.all([
    orNone(() => deps.signals.getProvenance(principal, query)),
    orNone(() => deps.signals.getManifest(principal, query)),
    orNone(() => deps.locker.get(principal, query)),
  ]);
  const batch = readable(batchRead, 'runtime-facts');
  const graph = readable(graphRead, 'callgraphs');
  const record = readable(recordRead, 'evidence');
  const hits: SearchHit[] = [];
  if (batch !== undefined)
    hits.push({
      type: 'batch',
      id: batch.batchId,
      tenant: batch.tenantId,
      label: `runtime-fact batch: ${batch.factCount} facts from ${batch.source}, callgraph ${batch.callgraphId}`,
      createdAt: batch.receivedAt,
    });
  if (graph !== undefined) hits.push(callgraphHit(graph));
  if (record !== undefined && batch === undefined && graph === undefined) hits.push(evidenceHit(record.row));
  return { query, as: 'id', hits, withheld };
}
