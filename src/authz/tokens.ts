import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AttestryError } from '../core/errors.js';
import type { Clock, IdSource } from '../core/ids.js';
import { parseTenantId } from '../core/tenant.js';
import type { TenantsRepo } from '../store/db/tenants-repo.js';
import type { TokenRecord, TokensRepo } from '../store/db/tokens-repo.js';
import { parseRole, type Role } from './access-matrix.js';
import { ALL_TENANTS, type Principal } from './principal.js';

/**
 * API tokens look like `atr_<ULID>_<43 base64url chars>`: the ULID finds the
 * row, the 256-bit secret proves possession. Only SHA-256(secret) is stored;
 * a fast hash is right for 256 random bits (no dictionary to guess from).
 */
const TOKEN_RE = /^atr_([0-9A-HJKMNP-TV-Z]{26})_([A-Za-z0-9_-]{43})$/;

export interface IssueTokenRequest {
  readonly principal: string;
  readonly tenants: readonly string[];
  readonly label?: string | undefined;
  readonly expiresAt?: Date | undefined;
}

export interface IssuedToken {
  /** The bearer secret: shown once, never stored. */
  readonly token: string;
  readonly record: TokenRecord;
}

export async function issueToken(
  repos: { tokens: TokensRepo; tenants: TenantsRepo },
  request: IssueTokenRequest,
  deps: { clock: Clock; ids: IdSource },
): Promise<IssuedToken> {
  const role: Role = parseRole(request.principal);
  const tenants = request.tenants.includes(ALL_TENANTS) ? [ALL_TENANTS] : [...new Set(request.tenants.map((t) => parseTenantId(t)))].sort();
  if (tenants[0] === ALL_TENANTS && role !== 'admin') {
    throw new AttestryError('E_INVALID_INPUT', 'only admin tokens may act for every tenant (*); name the tenants with --tenant');
  }
  if (tenants.length === 0 && role !== 'admin') throw new AttestryError('E_INVALID_INPUT', `a ${role} token needs at least one --tenant`);
  if (tenants[0] !== ALL_TENANTS) await repos.tenants.requireAll(tenants);
  const now = deps.clock.now();
  if (request.expiresAt !== undefined && request.expiresAt.getTime() <= now.getTime()) {
    throw new AttestryError('E_INVALID_INPUT', `expiry ${request.expiresAt.toISOString()} is not in the future`);
  }
  const id = deps.ids.next();
  const secret = randomBytes(32).toString('base64url');
  const record: TokenRecord = {
    id,
    secretHash: hashSecret(secret),
    principal: role,
    tenants: tenants.length === 0 ? [ALL_TENANTS] : tenants,
    label: request.label ?? null,
    createdAt: now.toISOString(),
    expiresAt: request.expiresAt?.toISOString() ?? null,
    revokedAt: null,
  };
  await repos.tokens.insert(record);
  return { token: `atr_${id}_${secret}`, record };
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

const unauthenticated = (why: string): AttestryError => new AttestryError('E_UNAUTHENTICATED', why);

/** Resolves `Authorization: Bearer <token>` to a principal, or throws E_UNAUTHENTICATED. */
export async function authenticate(tokens: TokensRepo, header: string | undefined, now: Date): Promise<Principal> {
  if (header === undefined || header === '') throw unauthenticated('missing Authorization: Bearer <token> header');
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) throw unauthenticated('Authorization header must be "Bearer <token>"');
  const parts = TOKEN_RE.exec(m[1] as string);
  if (!parts) throw unauthenticated('malformed API token');
  const record = await tokens.get(parts[1] as string);
  const presented = Buffer.from(hashSecret(parts[2] as string), 'hex');
  // Compare even when the row is absent so timing does not reveal which ids exist.
  const stored = Buffer.from(record?.secretHash ?? '0'.repeat(64), 'hex');
  if (!timingSafeEqual(presented, stored) || record === undefined) throw unauthenticated('invalid API token');
  if (record.revokedAt !== null) throw unauthenticated('this API token has been revoked');
  if (record.expiresAt !== null && Date.parse(record.expiresAt) <= now.getTime()) throw unauthenticated('this API token has expired');
  const role = parseRole(record.principal);
  return { tokenId: record.id, role, tenants: record.tenants.includes(ALL_TENANTS) ? ALL_TENANTS : record.tenants };
}
