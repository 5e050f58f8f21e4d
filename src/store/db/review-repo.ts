/**
 * Issue 17's index rows: an AI artifact's authority state (ai_reviews), its
 * signed transitions (ai_review_transitions) and the published VEX
 * statements. A transition and the state it produces commit together; the
 * primary key (artifact_id, sequence) decides between two concurrent
 * decisions, and the loser re-reads and re-decides (a second decision is then
 * refused, not lost).
 */
import type { Kysely, Selectable } from 'kysely';
import { isUniqueViolation } from './connect.js';
import type { AiReviewsTable, AiReviewTransitionsTable, Database, VexStatementsTable } from './schema.js';

export type AiReviewRow = Selectable<AiReviewsTable>;
export type AiTransitionRow = Selectable<AiReviewTransitionsTable>;
export type VexStatementRow = Selectable<VexStatementsTable>;

/** Far more transitions than one artifact ever gets: a bound on one read. */
export const MAX_TRANSITIONS = 10_000;

export interface PendingQuery {
  readonly tenant: string;
  readonly type?: string | undefined;
  /** `pending`, `approved`, `rejected` or `all`. */
  readonly state: string;
  /** Only artifacts generated at or before this instant. */
  readonly generatedBefore?: string | undefined;
  readonly limit: number;
}

export interface ReviewListRow {
  readonly artifact_id: string;
  readonly tenant: string;
  readonly artifact_type: string;
  readonly initial_authority: string;
  readonly authority: string | null;
  readonly decision: string | null;
  readonly flagged: number | null;
  readonly approvers_json: string | null;
  readonly published: number | null;
  readonly generated_at: string;
  readonly created_by: string;
  readonly model_id: string;
  readonly weights_digest: string;
  readonly template_version: string;
}

export class ReviewRepo {
  constructor(readonly db: Kysely<Database>) {}

  state(artifactId: string): Promise<AiReviewRow | undefined> {
    return this.db.selectFrom('ai_reviews').selectAll().where('artifact_id', '=', artifactId).executeTakeFirst();
  }

  transitions(artifactId: string): Promise<AiTransitionRow[]> {
    return this.db
      .selectFrom('ai_review_transitions')
      .selectAll()
      .where('artifact_id', '=', artifactId)
      .orderBy('sequence', 'asc')
      .limit(MAX_TRANSITIONS)
      .execute();
  }

  /**
   * Inserts the transition and writes the state it leads to, in one
   * transaction. False when another writer took this sequence number first.
   */
  async commit(transition: AiTransitionRow, state: AiReviewRow, vex?: VexStatementRow): Promise<boolean> {
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('ai_review_transitions').values(transition).execute();
        if (transition.sequence === 1) await trx.insertInto('ai_reviews').values(state).execute();
        else {
          const { artifact_id: _id, ...rest } = state;
          const updated = await trx
            .updateTable('ai_reviews')
            .set(rest)
            .where('artifact_id', '=', state.artifact_id)
            .where('head_sequence', '=', transition.sequence - 1)
            .executeTakeFirst();
          // The state row moved on without its transition: only another writer's commit does that.
          if (Number(updated.numUpdatedRows) !== 1) throw new LostRace();
        }
        if (vex !== undefined) await trx.insertInto('vex_statements').values(vex).execute();
      });
      return true;
    } catch (e) {
      if (e instanceof LostRace || isUniqueViolation(e)) return false;
      throw e;
    }
  }

  list(q: PendingQuery): Promise<ReviewListRow[]> {
    let query = this.db
      .selectFrom('ai_artifacts as a')
      .leftJoin('ai_reviews as r', 'r.artifact_id', 'a.artifact_id')
      .select([
        'a.artifact_id',
        'a.tenant',
        'a.artifact_type',
        'a.authority as initial_authority',
        'r.authority',
        'r.decision',
        'r.flagged',
        'r.approvers_json',
        'r.published',
        'a.generated_at',
        'a.created_by',
        'a.model_id',
        'a.weights_digest',
        'a.template_version',
      ])
      .where('a.tenant', '=', q.tenant);
    if (q.type !== undefined) query = query.where('a.artifact_type', '=', q.type);
    if (q.generatedBefore !== undefined) query = query.where('a.generated_at', '<=', q.generatedBefore);
    if (q.state === 'pending')
      query = query
        .where('a.authority', '=', 'ai-draft-requires-review')
        .where((eb) => eb.or([eb('r.decision', 'is', null), eb('r.decision', '=', 'pending')]));
    else if (q.state !== 'all') query = query.where('r.decision', '=', q.state);
    return query.orderBy('a.generated_at', 'asc').orderBy('a.artifact_id', 'asc').limit(q.limit).execute();
  }

  vex(artifactId: string): Promise<VexStatementRow | undefined> {
    return this.db.selectFrom('vex_statements').selectAll().where('artifact_id', '=', artifactId).executeTakeFirst();
  }

  /** Published statements of a tenant for a product: exact PURL, or every version of a package. */
  vexFor(tenant: string, match: { purl: string } | { packageKey: string }, limit: number): Promise<VexStatementRow[]> {
    let query = this.db.selectFrom('vex_statements').selectAll().where('tenant', '=', tenant);
    query = 'purl' in match ? query.where('product_purl', '=', match.purl) : query.where('package_key', '=', match.packageKey);
    return query.orderBy('published_at', 'asc').orderBy('artifact_id', 'asc').limit(limit).execute();
  }
}

class LostRace extends Error {}
