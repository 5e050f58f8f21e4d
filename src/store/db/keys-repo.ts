import type { Kysely } from 'kysely';
import { AttestryError } from '../../core/errors.js';
import { isUniqueViolation } from './connect.js';
import type { Database, TrustedKeysTable } from './schema.js';

export interface TrustedKey {
  readonly tenant: string;
  readonly keyId: string;
  readonly algorithm: string;
  readonly publicKeyPem: string;
  readonly fingerprint: string;
  readonly hint: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

const toKey = (row: TrustedKeysTable): TrustedKey => ({
  tenant: row.tenant,
  keyId: row.key_id,
  algorithm: row.algorithm,
  publicKeyPem: row.public_key_pem,
  fingerprint: row.fingerprint,
  hint: row.hint,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

/** Verification keys registered per tenant (`attestry key trust`). */
export class TrustedKeysRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async add(key: Omit<TrustedKey, 'revokedAt'>): Promise<void> {
    try {
      await this.db
        .insertInto('trusted_keys')
        .values({
          tenant: key.tenant,
          key_id: key.keyId,
          algorithm: key.algorithm,
          public_key_pem: key.publicKeyPem,
          fingerprint: key.fingerprint,
          hint: key.hint,
          created_at: key.createdAt,
          revoked_at: null,
        })
        .execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw new AttestryError('E_CONFLICT', `tenant "${key.tenant}" already trusts a key with id "${key.keyId}"`);
      throw e;
    }
  }

  /** Active (not revoked) keys of a tenant. */
  async active(tenant: string): Promise<TrustedKey[]> {
    const rows = await this.db
      .selectFrom('trusted_keys')
      .selectAll()
      .where('tenant', '=', tenant)
      .where('revoked_at', 'is', null)
      .orderBy('key_id')
      .execute();
    return rows.map(toKey);
  }

  async list(tenant?: string): Promise<TrustedKey[]> {
    let q = this.db.selectFrom('trusted_keys').selectAll();
    if (tenant !== undefined) q = q.where('tenant', '=', tenant);
    const rows = await q.orderBy('tenant').orderBy('key_id').execute();
    return rows.map(toKey);
  }

  async revoke(tenant: string, keyId: string, now: Date): Promise<void> {
    const result = await this.db
      .updateTable('trusted_keys')
      .set({ revoked_at: now.toISOString() })
      .where('tenant', '=', tenant)
      .where('key_id', '=', keyId)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new AttestryError('E_NOT_FOUND', `tenant "${tenant}" has no trusted key "${keyId}"`);
  }
}
