import { AttestryError } from '../core/errors.js';
import type { KindRegistry } from '../kinds/registry.js';
import type { EvidenceKind } from '../kinds/builtin.js';
import { can, type Action, type Role } from './access-matrix.js';

/** Who is calling: resolved from a bearer token. `tenants: '*'` is admin's "every tenant". */
export interface Principal {
  readonly tokenId: string;
  readonly role: Role;
  readonly tenants: readonly string[] | '*';
}

export const ALL_TENANTS = '*';

export function actsFor(principal: Principal, tenant: string): boolean {
  return principal.tenants === '*' || principal.tenants.includes(tenant);
}

/**
 * The one enforcement point. A tenant the principal does not act for is
 * reported as "not found" (404), never "forbidden", so that ids of other
 * tenants' evidence do not leak; a kind the role may not touch in its own
 * tenant is E_FORBIDDEN (403).
 */
export function authorize(
  principal: Principal,
  tenant: string,
  kind: EvidenceKind,
  action: Action,
  notFound: () => AttestryError,
  kinds?: KindRegistry,
): void {
  if (!actsFor(principal, tenant)) throw notFound();
  if (!(kinds === undefined ? can(principal.role, kind, action) : kinds.can(principal.role, kind, action))) {
    throw new AttestryError('E_FORBIDDEN', `role ${principal.role} may not ${action} ${kind}`, {
      details: { role: principal.role, kind, action },
    });
  }
}

/**
 * Chooses the tenant a write goes to: the one asked for, or the token's only
 * tenant. Asking for a tenant the token does not cover is E_FORBIDDEN here:
 * the caller named it, so nothing leaks by saying no.
 */
export function writeTenant(principal: Principal, requested: string | undefined): string {
  if (requested !== undefined) {
    if (!actsFor(principal, requested)) throw new AttestryError('E_FORBIDDEN', `this token does not act for tenant "${requested}"`);
    return requested;
  }
  if (principal.tenants !== '*' && principal.tenants.length === 1) return principal.tenants[0] as string;
  // `details.missing` lets a client name its own way of choosing (the CLI says --tenant).
  throw new AttestryError(
    'E_INVALID_INPUT',
    'this token acts for several tenants: say which with ?tenant=ID or the X-Attestry-Tenant header',
    {
      details: {
        missing: 'tenant',
        query: 'tenant',
        header: 'X-Attestry-Tenant',
        ...(principal.tenants === '*' ? {} : { tenants: principal.tenants.slice(0, 16) }),
      },
    },
  );
}
