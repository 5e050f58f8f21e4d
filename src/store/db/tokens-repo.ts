import type { Kysely } from 'kysely';
import { AttestryError } from '../../core/errors.js';
import type { Database, TokensTable } from './schema.js';

export interface TokenRecord {
  readonly id: string;
  readonly secretHash: string;
  readonly principal: string;
  readonly tenants: readonly string[];
  readonly label: string | null;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
}

const toRecord = (row: TokensTable): TokenRecord => ({
  id: row.id,
  secretHash: row.secret_hash,
  principal: row.principal,
  tenants: JSON.parse(row.tenants) as string[],
  label: row.label,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
});

export class TokensRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(record: TokenRecord): Promise<void> {
    await this.db
      .insertInto('tokens')
      .values({
        id: record.id,
        secret_hash: record.secretHash,
        principal: record.principal,
        tenants: JSON.stringify(record.tenants),
        label: record.label,
        created_at: record.createdAt,
        expires_at: record.expiresAt,
        revoked_at: record.revokedAt,
      })
      .execute();
  }

  async get(id: string): Promise<TokenRecord | undefined> {
    const row = await this.db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toRecord(row);
  }

  async list(): Promise<TokenRecord[]> {
    const rows = await this.db.selectFrom('tokens').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(toRecord);
  }

  async revoke(id: string, now: Date): Promise<void> {
    const result = await this.db
      .updateTable('tokens')
      .set({ revoked_at: now.toISOString() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) {
      const exists = await this.get(id);
      if (exists === undefined) throw new AttestryError('E_NOT_FOUND', `no token with id ${id}`);
    }
  }
}
