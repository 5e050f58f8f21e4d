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
const DATE_PATTERNS: Readonly<Record<string, string>> = { yyyy: '[0-9]{4}', mm: '[0-9]{2}', dd: '[0-9]{2}', yyyymmdd: '[0-9]{8}' };
const PLACEHOLDERS = ['tenant', 'id', ...Object.keys(DATE_PATTERNS)];
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The date parts of a ULID's 48-bit millisecond timestamp, in UTC. */
export function ulidDateParts(ulid: string): { yyyy: string; mm: string; dd: string; yyyymmdd: string } {
  let ms = 0;
  for (const c of ulid.slice(0, 10)) ms = ms * 32 + CROCKFORD.indexOf(c);
  const iso = new Date(ms).toISOString();
  const [yyyy, mm, dd] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)];
  return { yyyy, mm, dd, yyyymmdd: `${yyyy}${mm}${dd}` };
}
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
  const unknown = placeholders.find((p) => !PLACEHOLDERS.includes(p));
  if (unknown !== undefined)
    refuse(kind, role, template, `has placeholder {${unknown}}; only ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')} exist`);
  if (template.replace(PLACEHOLDER_RE, '').includes('{') || template.replace(PLACEHOLDER_RE, '').includes('}')) {
    refuse(kind, role, template, 'has an unbalanced brace');
  }
  if (placeholders.filter((p) => p === 'id').length !== 1) refuse(kind, role, template, 'must contain {id} exactly once');
  const tenants = placeholders.filter((p) => p === 'tenant').length;
  if (tenants > 1) refuse(kind, role, template, 'may contain {tenant} at most once');
  // A tenant may contain dots; as a whole segment it can never run into the
  // literal text around it, so matching a key back stays unambiguous.
  if (tenants === 1 && !template.split('/').includes('{tenant}')) refuse(kind, role, template, 'must use {tenant} as a whole path segment');
  // Date placeholders are derived from the id, so a key's date never disagrees with its ULID.
  const substitute = (tenant: string, id: string): string => {
    const date = ulidDateParts(id);
    return template.replace(PLACEHOLDER_RE, (_, p: string) => (p === 'tenant' ? tenant : p === 'id' ? id : date[p as keyof typeof date]));
  };
  if (!isSafeKeyPath(substitute(SAMPLE.tenant, SAMPLE.id))) {
    refuse(kind, role, template, 'does not make a safe key (2-6 segments, each starting with a letter or digit, no "..")');
  }

  let dateGroups = 0;
  const pattern = new RegExp(
    `^${template
      .split(/(\{[a-z]+\})/)
      .map((part) => {
        const name = /^\{([a-z]+)\}$/.exec(part)?.[1];
        if (name === 'tenant') return `(?<tenant>${TENANT_PATTERN})`;
        if (name === 'id') return `(?<id>${ULID_PATTERN})`;
        // A date part may occur more than once; each occurrence is compared with the id's below.
        const date = name === undefined ? undefined : DATE_PATTERNS[name];
        return date === undefined ? escapeRegExp(part) : `(?<d${dateGroups++}>${date})`;
      })
      .join('')}$`,
  );
  const dateOrder = placeholders.filter((p) => p in DATE_PATTERNS) as (keyof ReturnType<typeof ulidDateParts>)[];
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
      const id = groups['id'] as string;
      if (dateOrder.length > 0) {
        // A key whose date disagrees with its ULID was not minted by this template.
        const date = ulidDateParts(id);
        if (dateOrder.some((p, i) => groups[`d${i}`] !== date[p])) return undefined;
      }
      return { tenant, id };
    },
  };
}
