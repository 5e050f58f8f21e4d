import type { Kysely } from 'kysely';
import { AttestryError } from '../../core/errors.js';
import { parseTenantId } from '../../core/tenant.js';
import { isUniqueViolation } from './connect.js';
import type { Database, TenantsTable } from './schema.js';

export interface Tenant {
  readonly id: string;
  readonly displayName: string | null;
  readonly createdAt: string;
}

const toTenant = (row: TenantsTable): Tenant => ({ id: row.id, displayName: row.display_name, createdAt: row.created_at });

export class TenantsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async add(id: string, displayName: string | null, now: Date): Promise<Tenant> {
    const tenant = parseTenantId(id);
    const row: TenantsTable = { id: tenant, display_name: displayName, created_at: now.toISOString() };
    try {
      await this.db.insertInto('tenants').values(row).execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw new AttestryError('E_CONFLICT', `tenant "${tenant}" already exists`);
      throw e;
    }
    return toTenant(row);
  }

  async list(): Promise<Tenant[]> {
    const rows = await this.db.selectFrom('tenants').selectAll().orderBy('id').execute();
    return rows.map(toTenant);
  }

  async get(id: string): Promise<Tenant | undefined> {
    const row = await this.db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toTenant(row);
  }

  /** Throws E_NOT_FOUND naming every tenant id that is not registered. */
  async requireAll(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const rows = await this.db.selectFrom('tenants').select('id').where('id', 'in', ids).execute();
    const known = new Set(rows.map((r) => r.id));
    const missing = ids.filter((id) => !known.has(id));
    if (missing.length > 0) {
      throw new AttestryError(
        'E_NOT_FOUND',
        `unknown tenant${missing.length > 1 ? 's' : ''}: ${missing.join(', ')} (add with: attestry tenant add ID)`,
      );
    }
  }
}
