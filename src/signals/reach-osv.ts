/**
 * The symbols an OSV advisory (https://ossf.github.io/osv-schema/) names as
 * vulnerable, as reachability targets (docs/reachability.md "OSV"). Only the
 * fields that name code are read; everything else of the advisory is
 * ignored. The advisory is untrusted: each field read is checked and a bad
 * one is E_INVALID_INPUT naming its path, e.g.
 * `affected[2].ecosystem_specific.imports[0].symbols`.
 */
import { AttestryError } from '../core/errors.js';
import { parseJsonText } from '../core/validation.js';
import { parsePurl } from './purl.js';
import { MAX_SYMBOL_ID_LENGTH } from './symbol-id.js';

export const MAX_OSV_BYTES = 1024 * 1024;
export const MAX_OSV_DEPTH = 32;

export interface OsvTarget {
  readonly path?: string;
  readonly name: string;
}

export interface OsvTargets {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly targets: readonly OsvTarget[];
  readonly packagePurls: readonly string[];
}

type Json = Record<string, unknown>;

function bad(field: string, problem: string): never {
  throw new AttestryError('E_INVALID_INPUT', `OSV advisory: ${field}: ${problem}`, { details: { field } });
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function objectAt(v: unknown, field: string): Json | undefined {
  if (v === undefined) return undefined;
  return isObject(v) ? v : bad(field, 'expected an object');
}

function arrayAt(v: unknown, field: string): readonly unknown[] | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? (v as unknown[]) : bad(field, 'expected an array');
}

function nameAt(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0) return bad(field, 'expected a non-empty string');
  if (v.length > MAX_SYMBOL_ID_LENGTH) return bad(field, `${v.length} characters is longer than ${MAX_SYMBOL_ID_LENGTH}`);
  return v;
}

function namesAt(v: unknown, field: string): string[] {
  return (arrayAt(v, field) ?? []).map((x, i) => nameAt(x, `${field}[${i}]`));
}

/** Deepest nesting of a parsed value, stopping once past `limit` (no deep recursion on hostile input). */
function depthOf(v: unknown, limit: number, depth = 0): number {
  if (typeof v !== 'object' || v === null) return depth;
  if (depth >= limit) return depth + 1;
  let deepest = depth + 1;
  for (const child of Array.isArray(v) ? v : Object.values(v)) {
    deepest = Math.max(deepest, depthOf(child, limit, depth + 1));
    if (deepest > limit) break;
  }
  return deepest;
}

/** An advisory file's text → parsed JSON, within the size and depth limits. */
export function readOsvText(text: string): unknown {
  return parseJsonText(text, 'OSV advisory', 'E_INVALID_INPUT', { maxBytes: MAX_OSV_BYTES, maxDepth: MAX_OSV_DEPTH });
}

/**
 * Targets named by an advisory, from every affected entry: an advisory
 * names the vulnerable package (usually a dependency), and a component's
 * callgraph holds its dependencies' functions too, so an entry is never
 * skipped for naming another package than the component (a symbol the graph
 * does not have answers from runtime facts only). An `imports[]` entry
 * without `symbols` (Go: the whole package) names no symbol and adds no target.
 */
export function parseOsvAdvisory(input: unknown, maxSymbols: number): OsvTargets {
  if (depthOf(input, MAX_OSV_DEPTH) > MAX_OSV_DEPTH) bad('(root)', `nested deeper than ${MAX_OSV_DEPTH} levels`);
  if (!isObject(input)) bad('(root)', 'expected a JSON object (an OSV advisory)');
  const size = Buffer.byteLength(JSON.stringify(input), 'utf8');
  if (size > MAX_OSV_BYTES) bad('(root)', `${size} bytes of JSON is larger than ${MAX_OSV_BYTES}`);
  const id = nameAt(input['id'], 'id');
  const aliases = [...new Set(namesAt(input['aliases'], 'aliases'))];

  const targets = new Map<string, OsvTarget>();
  const packagePurls: string[] = [];
  const add = (t: OsvTarget): void => {
    const key = `${t.path ?? ''}\u0000${t.name}`;
    if (targets.has(key)) return;
    if (targets.size >= maxSymbols) bad('affected', `names more than ${maxSymbols} symbols (Signals.Reachability.MaxSymbolsPerQuery)`);
    targets.set(key, t);
  };

  const affected = arrayAt(input['affected'], 'affected') ?? [];
  affected.forEach((entry, i) => {
    const at = `affected[${i}]`;
    if (!isObject(entry)) bad(at, 'expected an object');
    const pkg = objectAt(entry['package'], `${at}.package`);
    const purl = pkg?.['purl'];
    if (purl !== undefined) {
      parsePurl(purl, `OSV advisory: ${at}.package.purl`);
      if (!packagePurls.includes(purl as string)) packagePurls.push(purl as string);
    }
    const eco = objectAt(entry['ecosystem_specific'], `${at}.ecosystem_specific`);
    const db = objectAt(entry['database_specific'], `${at}.database_specific`);
    if (eco !== undefined) {
      const es = `${at}.ecosystem_specific`;
      (arrayAt(eco['imports'], `${es}.imports`) ?? []).forEach((imp, j) => {
        const ia = `${es}.imports[${j}]`;
        if (!isObject(imp)) bad(ia, 'expected an object {path, symbols}');
        const path = nameAt(imp['path'], `${ia}.path`);
        for (const name of namesAt(imp['symbols'], `${ia}.symbols`)) add({ path, name });
      });
      const affects = objectAt(eco['affects'], `${es}.affects`);
      if (affects !== undefined) for (const name of namesAt(affects['functions'], `${es}.affects.functions`)) add({ name });
      for (const name of namesAt(eco['affected_functions'], `${es}.affected_functions`)) add({ name });
      for (const name of namesAt(eco['symbols'], `${es}.symbols`)) add({ name });
    }
    if (db !== undefined) {
      for (const name of namesAt(db['affected_functions'], `${at}.database_specific.affected_functions`)) add({ name });
    }
  });
  return { id, aliases, targets: [...targets.values()], packagePurls };
}
