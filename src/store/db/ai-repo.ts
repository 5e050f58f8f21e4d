/** The AI domain's index rows: one per artifact, and the per-tenant hash-chained audit trail. */
import type { Kysely, Selectable } from 'kysely';
import { isUniqueViolation } from './connect.js';
import type { AiArtifactsTable, AiAuditTable, Database } from './schema.js';

export type AiArtifactRow = Selectable<AiArtifactsTable>;
export type AiAuditRow = Selectable<AiAuditTable>;

/** An audit trail is read whole for verification; more than this is refused rather than read unbounded. */
export const MAX_AUDIT_READ = 100_000;

export class AiRepo {
  constructor(readonly db: Kysely<Database>) {}

  async insertArtifact(row: AiArtifactRow): Promise<void> {
    await this.db.insertInto('ai_artifacts').values(row).execute();
  }

  artifact(artifactId: string): Promise<AiArtifactRow | undefined> {
    return this.db.selectFrom('ai_artifacts').selectAll().where('artifact_id', '=', artifactId).executeTakeFirst();
  }

  artifactByManifest(manifestId: string): Promise<AiArtifactRow | undefined> {
    return this.db.selectFrom('ai_artifacts').selectAll().where('manifest_id', '=', manifestId).executeTakeFirst();
  }

  latestAudit(tenant: string): Promise<AiAuditRow | undefined> {
    return this.db.selectFrom('ai_audit').selectAll().where('tenant', '=', tenant).orderBy('sequence', 'desc').limit(1).executeTakeFirst();
  }

  /** False when another writer took this sequence number first (the caller re-reads the head and retries). */
  async insertAudit(row: AiAuditRow): Promise<boolean> {
    try {
      await this.db.insertInto('ai_audit').values(row).execute();
      return true;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }

  audit(tenant: string, q: { artifactId?: string | undefined; since?: string | undefined; limit: number }): Promise<AiAuditRow[]> {
    let query = this.db.selectFrom('ai_audit').selectAll().where('tenant', '=', tenant);
    if (q.artifactId !== undefined) query = query.where('artifact_id', '=', q.artifactId);
    if (q.since !== undefined) query = query.where('timestamp', '>=', q.since);
    return query.orderBy('sequence', 'asc').limit(q.limit).execute();
  }

  wholeTrail(tenant: string): Promise<AiAuditRow[]> {
    return this.db
      .selectFrom('ai_audit')
      .selectAll()
      .where('tenant', '=', tenant)
      .orderBy('sequence', 'asc')
      .limit(MAX_AUDIT_READ + 1)
      .execute();
  }
}
