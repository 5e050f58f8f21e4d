import type { Role } from '../core/roles.js';
import type { Action } from '../kinds/access.js';
import { builtinKinds, type EvidenceKind } from '../kinds/builtin.js';
import type { Grant } from '../kinds/declaration.js';

export { ROLES, parseRole, type Role } from '../core/roles.js';
export type { Action } from '../kinds/access.js';

/**
 * THE access matrix, derived from the kinds' declarations (src/kinds/builtin.ts):
 * the rows for seed 000's four kinds are its §3.2 verbatim (src/signals/kinds.ts),
 * the AI service's and reviewers' grants come with the model and AI kinds,
 * `message-signatures` has exactly the grants of `attestations`, and admin
 * does everything. Every check in the product goes through `can()` below.
 */
export const ACCESS_MATRIX: Readonly<Record<Role, Readonly<Record<EvidenceKind, Grant>>>> = builtinKinds().accessTable();

export function can(role: Role, kind: EvidenceKind, action: Action): boolean {
  return builtinKinds().can(role, kind, action);
}

/** The kinds a role may perform `action` on (used to filter searches). */
export function kindsAllowed(role: Role, action: Action): EvidenceKind[] {
  return builtinKinds().kindsAllowed(role, action);
}

/** Administrative operations (tenants, tokens, trusted keys) belong to admin alone. */
export function canAdminister(role: Role): boolean {
  return role === 'admin';
}
