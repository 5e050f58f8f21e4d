import { AttestryError } from './errors.js';

/** The principals a token can name (seed 000 §3.2 and the AI seed's roles). */
export const ROLES = ['signals-service', 'policy-engine', 'scanner-worker', 'audit-service', 'ai-service', 'reviewer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function parseRole(value: unknown): Role {
  if (typeof value === 'string' && (ROLES as readonly string[]).includes(value)) return value as Role;
  throw new AttestryError('E_INVALID_INPUT', `principal ${JSON.stringify(value)} is not a role; expected one of ${ROLES.join(', ')}`);
}
