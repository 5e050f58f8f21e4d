import { AttestryError } from './errors.js';

/**
 * Tenant ids are lower-case DNS-label-like names so they are safe as path
 * segments and object-key segments. The pattern is exported for the kind
 * registry, which matches keys read back from a store against its templates.
 */
export const TENANT_PATTERN = '[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?';
const TENANT_RE = new RegExp(`^${TENANT_PATTERN}$`);

export function parseTenantId(value: unknown, field = 'tenant'): string {
  if (typeof value !== 'string' || !TENANT_RE.test(value) || value.includes('..')) {
    throw new AttestryError(
      'E_INVALID_INPUT',
      `${field}: ${JSON.stringify(typeof value === 'string' ? value.slice(0, 80) : value)} is not a tenant id (1-64 of a-z 0-9 . _ -, starting and ending with a letter or digit)`,
    );
  }
  return value;
}
