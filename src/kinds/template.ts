import { AttestryError } from '../core/errors.js';
import { parseUlid } from '../core/ids.js';
import { parseTenantId, TENANT_PATTERN } from '../core/tenant.js';
import { isSafeKeyPath, type CasKey } from '../store/blob/cas-key.js';
import type { BlobTemplate } from './declaration.js';

/**
 * One blob template of a kind, checked once when the registry is built and
 * then used both ways: filled from validated ids (the only way a key is
 * minted) and matched against keys read back from a store or an index row.
 */
export interface CompiledTemplate {
  readonly kind: string;
  readonly role: string;
  readonly template: BlobTemplate;
  /** Whether keys carry the tenant (seed 000 §3.1: manifests and attestations do not). */
  readonly hasTenant: boolean;
  fill(tenant: string, id: string, idField: string): CasKey;
  /** The tenant and id a key was minted from, or undefined when it is not this template's. */
  match(key: string): { tenant: string | undefined; id: string } | undefined;
}

const ALLOWED_RE = /^[A-Za-z0-9._/{}-]+$/;
const PLACEHOLDER_RE = /\{([^{}]*)\}/g;
const ULID_PATTERN = '[0-9A-HJKMNP-TV-Z]{26}';
// What the fill step produces for a placeholder, used to check that every
// key a template can mint is a safe store path.
const SAMPLE = { tenant: 'a', id: '0'.repeat(26) };

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function refuse(kind: string, role: string, template: string, why: string): never {
  throw new AttestryError('E_CONFIG', `kind ${kind}: blob ${role} template ${JSON.stringify(template)} ${why}`);
}

export function compileTemplate(kind: string, role: string, template: BlobTemplate): CompiledTemplate {
  // Declarations may come from plain JavaScript: a template may not be a string at all.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion
  if (typeof template !== 'string' || !template.startsWith(`${kind}/`)) refuse(kind, role, String(template), `must start with "${kind}/"`);
  if (!ALLOWED_RE.test(template)) refuse(kind, role, template, 'may only contain A-Z a-z 0-9 . _ / - and the placeholders {tenant} {id}');
  const placeholders = [...template.matchAll(PLACEHOLDER_RE)].map((m) => m[1] as string);
  const unknown = placeholders.find((p) => p !== 'tenant' && p !== 'id');
  if (unknown !== undefined) refuse(kind, role, template, `has placeholder {${unknown}}; only {tenant} and {id} exist`);
  if (template.replace(PLACEHOLDER_RE, '').includes('{') || template.replace(PLACEHOLDER_RE, '').includes('}')) {
    refuse(kind, role, template, 'has an unbalanced brace');
  }
  if (placeholders.filter((p) => p === 'id').length !== 1) refuse(kind, role, template, 'must contain {id} exactly once');
  const tenants = placeholders.filter((p) => p === 'tenant').length;
  if (tenants > 1) refuse(kind, role, template, 'may contain {tenant} at most once');
  // A tenant may contain dots; as a whole segment it can never run into the
  // literal text around it, so matching a key back stays unambiguous.
  if (tenants === 1 && !template.split('/').includes('{tenant}')) refuse(kind, role, template, 'must use {tenant} as a whole path segment');
  const substitute = (tenant: string, id: string): string => template.replaceAll('{tenant}', tenant).replaceAll('{id}', id);
  if (!isSafeKeyPath(substitute(SAMPLE.tenant, SAMPLE.id))) {
    refuse(kind, role, template, 'does not make a safe key (2-6 segments, each starting with a letter or digit, no "..")');
  }

  const pattern = new RegExp(
    `^${template
      .split(/(\{tenant\}|\{id\})/)
      .map((part) =>
        part === '{tenant}' ? `(?<tenant>${TENANT_PATTERN})` : part === '{id}' ? `(?<id>${ULID_PATTERN})` : escapeRegExp(part),
      )
      .join('')}$`,
  );
  return {
    kind,
    role,
    template,
    hasTenant: tenants === 1,
    fill(tenant, id, idField) {
      return substitute(parseTenantId(tenant), parseUlid(id, idField)) as CasKey;
    },
    match(key) {
      const m = pattern.exec(key);
      const groups = m?.groups;
      if (groups === undefined) return undefined;
      const tenant = groups['tenant'];
      if (tenant !== undefined && tenant.includes('..')) return undefined;
      return { tenant, id: groups['id'] as string };
    },
  };
}
