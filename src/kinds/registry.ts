import { AttestryError } from '../core/errors.js';
import { ROLES, type Role } from '../core/roles.js';
import type { CasKey } from '../store/blob/cas-key.js';
import { GRANTS, grantAllows, type Action } from './access.js';
import { readConfigDays } from './config-path.js';
import type { Grant, KindDeclaration } from './declaration.js';
import { compileTemplate, type CompiledTemplate } from './template.js';

/** What a blob key says about itself, read back against the templates. */
export interface BlobKeyParts {
  readonly kind: string;
  readonly role: string;
  /** Undefined for templates without `{tenant}` (seed 000 §3.1 manifests, attestations). */
  readonly tenant: string | undefined;
  readonly id: string;
}

/** role → kind → grant, with `-` written out: the matrix as a table for docs and tests. */
export type AccessTable = Readonly<Record<Role, Readonly<Record<string, Grant>>>>;

const NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const CONFIG_PATH_RE = /^[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*$/;

/**
 * The registry of evidence kinds: built once from the domains' declarations
 * (src/kinds/builtin.ts for the product, a test's own list for tests) and
 * immutable after. Everything the product derives from a kind goes through
 * it: access (`grant`/`can`/`kindsAllowed`), layout (`blobKey` mints keys,
 * `parseCasKey`/`matchKey` read them back), classification (`classify`) and
 * retention (`retentionDays`). The constructor refuses a declaration list
 * that would make any of those ambiguous (E_CONFIG).
 */
export class KindRegistry {
  readonly #kinds = new Map<string, KindDeclaration>();
  readonly #templates = new Map<string, ReadonlyMap<string, CompiledTemplate>>();
  readonly #byPredicate = new Map<string, string>();
  readonly #byPayload = new Map<string, string>();
  readonly #fallback: string | undefined;

  constructor(declarations: readonly KindDeclaration[]) {
    let fallback: string | undefined;
    for (const d of declarations) {
      if (typeof d.name !== 'string' || !NAME_RE.test(d.name)) {
        throw new AttestryError(
          'E_CONFIG',
          `kind name ${JSON.stringify(d.name)} must be 1-64 of a-z 0-9 -, starting and ending with a letter or digit`,
        );
      }
      if (this.#kinds.has(d.name)) throw new AttestryError('E_CONFIG', `kind ${d.name} is declared twice`);
      this.#templates.set(d.name, compileBlobs(d));
      checkAccess(d);
      checkRetention(d);
      checkSwitches(d);
      claim(this.#byPredicate, d.predicateTypes ?? [], d.name, 'predicate type');
      claim(this.#byPayload, d.payloadTypes ?? [], d.name, 'payload type');
      if (d.classifyByDefault === true) {
        if (fallback !== undefined) throw new AttestryError('E_CONFIG', `kinds ${fallback} and ${d.name} both say classifyByDefault`);
        fallback = d.name;
      }
      this.#kinds.set(d.name, d);
    }
    this.#fallback = fallback;
  }

  get(name: string): KindDeclaration | undefined {
    return this.#kinds.get(name);
  }

  has(name: unknown): name is string {
    return typeof name === 'string' && this.#kinds.has(name);
  }

  /** The declaration, or E_INVALID_INPUT: for names that come from a request or a stored row. */
  require(name: string): KindDeclaration {
    const d = this.#kinds.get(name);
    if (d === undefined) throw new AttestryError('E_INVALID_INPUT', `kind ${JSON.stringify(name)} is not an evidence kind`);
    return d;
  }

  all(): readonly KindDeclaration[] {
    return [...this.#kinds.values()];
  }

  names(): readonly string[] {
    return [...this.#kinds.keys()];
  }

  // ---- layout -------------------------------------------------------------

  /** The blob roles of a kind, `primary` first. */
  blobRoles(kind: string): readonly string[] {
    return [...this.#compiled(kind).keys()];
  }

  /**
   * The key of one blob of a record: the tenant and the id are validated
   * first, so no caller-supplied string becomes a path or an object key
   * unchecked. The only place keys are minted.
   */
  blobKey(kind: string, role: string, tenant: string, id: string): CasKey {
    const template = this.#compiled(kind).get(role);
    if (template === undefined) throw new AttestryError('E_INVALID_INPUT', `kind ${kind} has no blob role ${JSON.stringify(role)}`);
    return template.fill(tenant, id, this.require(kind).idName ?? 'id');
  }

  /** Where a kind's blobs are listed from (one directory per kind, its name). */
  listPrefixes(): readonly string[] {
    return this.names();
  }

  /** Which kind, role, tenant and id a key was minted from; undefined for anything no template makes. */
  matchKey(key: string): BlobKeyParts | undefined {
    const kind = key.slice(0, key.indexOf('/'));
    const templates = this.#templates.get(kind);
    if (templates === undefined) return undefined;
    for (const t of templates.values()) {
      const m = t.match(key);
      if (m !== undefined) return { kind, role: t.role, tenant: m.tenant, id: m.id };
    }
    return undefined;
  }

  /**
   * Re-validates a key read back from an index row or a listing: it must be
   * one a registered kind's template could have produced, so a stray string
   * cannot smuggle `..` or an absolute path into a later operation.
   */
  parseCasKey(value: string): CasKey {
    if (this.matchKey(value) === undefined) {
      throw new AttestryError('E_INVALID_INPUT', `"${value.slice(0, 120)}" is not a CAS key of this layout`);
    }
    return value as CasKey;
  }

  // ---- classification -----------------------------------------------------

  /** The kind claiming a payload type, if any (the locker parses such payloads as statements). */
  kindOfPayloadType(payloadType: string): string | undefined {
    return this.#byPayload.get(payloadType);
  }

  /**
   * Which kind an upload is: a claimed predicate type first, then a claimed
   * payload type, then the registry's default kind.
   */
  classify(predicateType: string | null, payloadType: string): string {
    const kind =
      (predicateType !== null ? this.#byPredicate.get(predicateType) : undefined) ?? this.#byPayload.get(payloadType) ?? this.#fallback;
    if (kind === undefined) {
      throw new AttestryError(
        'E_INVALID_INPUT',
        `no evidence kind accepts predicate type ${JSON.stringify(predicateType)} with payload type ${JSON.stringify(payloadType)}`,
      );
    }
    return kind;
  }

  // ---- access -------------------------------------------------------------

  /** The role's grant on a kind (`-` when the declaration does not list the role). */
  grant(role: Role, kind: string): Grant {
    return this.require(kind).access[role] ?? '-';
  }

  /** Every check in the product goes through this; a kind the registry does not know is denied. */
  can(role: Role, kind: string, action: Action): boolean {
    const d = this.#kinds.get(kind);
    return d !== undefined && grantAllows(d.access[role] ?? '-', action);
  }

  /** The kinds a role may perform `action` on, in registration order (used to filter searches). */
  kindsAllowed(role: Role, action: Action): string[] {
    return this.names().filter((kind) => this.can(role, kind, action));
  }

  accessTable(): AccessTable {
    const table = {} as Record<Role, Record<string, Grant>>;
    for (const role of ROLES) table[role] = Object.fromEntries(this.names().map((kind) => [kind, this.grant(role, kind)]));
    return table;
  }

  // ---- retention ----------------------------------------------------------

  /** Days a kind's records are kept under `config`, or null for kinds kept forever. */
  retentionDays(kind: string, config: unknown): number | null {
    const rule = this.require(kind).retention;
    return rule.keep === 'forever' ? null : readConfigDays(config, rule.configKey);
  }

  #compiled(kind: string): ReadonlyMap<string, CompiledTemplate> {
    this.require(kind);
    return this.#templates.get(kind) as ReadonlyMap<string, CompiledTemplate>;
  }
}

function compileBlobs(d: KindDeclaration): ReadonlyMap<string, CompiledTemplate> {
  // Declarations may come from plain JavaScript: check the shape the types promise.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  const blobs: Readonly<Record<string, string>> = typeof d.blobs === 'object' && d.blobs !== null ? d.blobs : {};
  if (typeof blobs['primary'] !== 'string') throw new AttestryError('E_CONFIG', `kind ${d.name} declares no primary blob`);
  const compiled = new Map<string, CompiledTemplate>();
  const seen = new Map<string, string>();
  for (const role of ['primary', ...Object.keys(blobs).filter((r) => r !== 'primary')]) {
    const template = blobs[role] as string;
    if (!NAME_RE.test(role))
      throw new AttestryError('E_CONFIG', `kind ${d.name}: blob role ${JSON.stringify(role)} must be 1-64 of a-z 0-9 -`);
    const other = seen.get(template);
    if (other !== undefined)
      throw new AttestryError('E_CONFIG', `kind ${d.name}: blob roles ${other} and ${role} share the template ${template}`);
    seen.set(template, role);
    compiled.set(role, compileTemplate(d.name, role, template));
  }
  return compiled;
}

function checkAccess(d: KindDeclaration): void {
  for (const [role, grant] of Object.entries(d.access)) {
    if (!(ROLES as readonly string[]).includes(role))
      throw new AttestryError('E_CONFIG', `kind ${d.name}: access names ${JSON.stringify(role)}, not a role`);
    if (!GRANTS.includes(grant))
      throw new AttestryError('E_CONFIG', `kind ${d.name}: access ${role}: ${JSON.stringify(grant)} is not one of ${GRANTS.join(' ')}`);
  }
}

function checkRetention(d: KindDeclaration): void {
  const r = d.retention as { keep?: unknown; configKey?: unknown; scope?: unknown } | undefined;
  const ok =
    r?.keep === 'forever' ||
    (r?.keep === 'days' &&
      typeof r.configKey === 'string' &&
      CONFIG_PATH_RE.test(r.configKey) &&
      (r.scope === undefined || r.scope === 'all' || r.scope === 'unreferenced'));
  if (!ok)
    throw new AttestryError(
      'E_CONFIG',
      `kind ${d.name}: retention must be {keep: 'forever'} or {keep: 'days', configKey: 'A.B.C', scope?}`,
    );
}

function checkSwitches(d: KindDeclaration): void {
  for (const [name, path] of Object.entries(d.switches ?? {})) {
    if ((name !== 'writeEnabled' && name !== 'logged') || typeof path !== 'string' || !CONFIG_PATH_RE.test(path)) {
      throw new AttestryError('E_CONFIG', `kind ${d.name}: switch ${name} must name a config key such as Signals.CAS.WriteEnabled`);
    }
  }
}

function claim(owners: Map<string, string>, types: readonly string[], kind: string, what: string): void {
  for (const type of types) {
    const owner = owners.get(type);
    if (owner !== undefined) throw new AttestryError('E_CONFIG', `${what} ${type} is claimed by both ${owner} and ${kind}`);
    owners.set(type, kind);
  }
}
