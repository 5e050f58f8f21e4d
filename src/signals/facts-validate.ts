import { AttestryError } from '../core/errors.js';
import type { Instant } from './facts-aggregate.js';
import { parsePurl } from './purl.js';
import { isSymbolId, jsonType, symbolIdProblem } from './symbol-id.js';

/**
 * One runtime fact as agents send it (docs/signals.md, runtime-fact.schema.json).
 * Checked by hand, field by field, because this runs once per fact on the
 * ingest path and must cost little more than the JSON.parse before it.
 * `null` counts as absent for every optional field: .NET agents serialise
 * unset properties as null. Unknown fields are allowed and stay in the raw
 * batch; `provenance_hash` and `callgraph_id` are refused because the fact
 * stream adds them (a fact must not be able to forge its own provenance).
 */
export interface RuntimeFact {
  symbolId: string;
  /** Default `symbol_hit`. */
  type: string;
  /** Default 1. */
  hitCount: number;
  observedAt?: string;
  codeId?: string;
  purl?: string;
  buildId?: string;
  loaderBase?: string;
  processId?: number;
  processName?: string;
  socketAddress?: string;
  containerId?: string;
  evidenceUri?: string;
  metadata?: Record<string, unknown>;
}

export const DEFAULT_FACT_TYPE = 'symbol_hit';
/** Fact types are short identifiers: `symbol_hit`, `process.exec`, `net:connect`. */
export const FACT_TYPE_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const STRING_FIELDS = ['codeId', 'buildId', 'loaderBase', 'processName', 'socketAddress', 'containerId', 'evidenceUri'] as const;
const RESERVED = ['provenance_hash', 'callgraph_id'] as const;

// RFC 3339 profile of ISO-8601: date, time, optional fraction (up to ns), Z or ±hh:mm.
const INSTANT_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Parses an ISO-8601 (RFC 3339) timestamp exactly: no rollover of 30
 * February or 24:00, unlike Date.parse. Writes into `into` (the ingest path
 * reuses one object per batch) and returns whether the text was valid.
 */
export function readInstant(text: string, into: { ms: number; sub: number }): boolean {
  const m = INSTANT_RE.exec(text);
  if (m === null) return false;
  const year = +m[1]!;
  const month = +m[2]!;
  const day = +m[3]!;
  const hour = +m[4]!;
  const minute = +m[5]!;
  const second = +m[6]!;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > DAYS[month - 1]! + (leap ? 1 : 0)) return false;
  const fraction = (m[7] ?? '').padEnd(9, '0');
  let offset = 0;
  if (m[8] === undefined) {
    const oh = +m[10]!;
    const om = +m[11]!;
    if (oh > 23 || om > 59) return false;
    offset = (oh * 60 + om) * 60_000 * (m[9] === '-' ? -1 : 1);
  }
  into.ms = Date.UTC(year, month - 1, day, hour, minute, second, +fraction.slice(0, 3)) - offset;
  into.sub = +fraction.slice(3);
  return true;
}

/** readInstant as a value, for callers off the hot path. */
export function parseInstant(text: string): Instant | null {
  const t = { ms: 0, sub: 0 };
  return readInstant(text, t) ? t : null;
}

/** PURLs repeat across a batch; parsing each once keeps packageurl-js off the hot path. Bounded, cleared when full. */
const purlSeen = new Set<string>();
const PURL_CACHE_MAX = 4096;

function validPurl(value: string): boolean {
  if (purlSeen.has(value)) return true;
  try {
    parsePurl(value, 'purl');
  } catch {
    return false;
  }
  if (purlSeen.size >= PURL_CACHE_MAX) purlSeen.clear();
  purlSeen.add(value);
  return true;
}

export function factError(what: string, where: string, problem: string): AttestryError {
  return new AttestryError('E_INVALID_INPUT', `${what}: ${where}: ${problem}`, { details: { at: where } });
}

/** What one checked fact contributes to the batch's aggregates; one object per batch, refilled for each fact. */
export interface CheckedFact {
  symbolId: string;
  type: string;
  hitCount: number;
  codeId: string;
  loaderBase: string;
  observed: boolean;
  ms: number;
  sub: number;
}

export function newCheckedFact(): CheckedFact {
  return { symbolId: '', type: '', hitCount: 0, codeId: '', loaderBase: '', observed: false, ms: 0, sub: 0 };
}

/**
 * Checks one parsed fact; returns what aggregation needs. The place is a
 * number and a formatter so the common (valid) case builds no strings.
 */
export function checkFact(value: unknown, what: string, at: number, place: (at: number) => string, into: CheckedFact): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw factError(what, place(at), `expected a JSON object (one fact), got ${jsonType(value)}`);
  }
  const fact = value as Record<string, unknown>;
  const symbolId = fact['symbolId'];
  if (!isSymbolId(symbolId)) {
    const problem =
      symbolId === undefined || symbolId === null
        ? 'the fact has no "symbolId"; every fact must name the symbol it observed'
        : `"symbolId" is not a valid symbol id: ${symbolIdProblem(symbolId)}`;
    throw factError(what, place(at), problem);
  }
  let type = fact['type'];
  if (type === undefined || type === null) type = DEFAULT_FACT_TYPE;
  else if (typeof type !== 'string' || !FACT_TYPE_RE.test(type)) {
    throw factError(
      what,
      place(at),
      `"type" must be a fact type such as "symbol_hit" (letters, digits, _ . : -, at most 64), got ${jsonType(type)}`,
    );
  }
  let hitCount = fact['hitCount'];
  if (hitCount === undefined || hitCount === null) hitCount = 1;
  else if (!Number.isSafeInteger(hitCount) || (hitCount as number) < 0) {
    throw factError(
      what,
      place(at),
      `"hitCount" must be a non-negative integer, got ${typeof hitCount === 'number' ? String(hitCount) : jsonType(hitCount)}`,
    );
  }
  const observedAt = fact['observedAt'];
  into.observed = observedAt !== undefined && observedAt !== null;
  if (into.observed) {
    if (typeof observedAt !== 'string' || !readInstant(observedAt, into)) {
      throw factError(
        what,
        place(at),
        `"observedAt" must be an ISO-8601 timestamp such as 2025-12-19T10:00:00.123Z, got ${typeof observedAt === 'string' ? `"${observedAt.slice(0, 40)}"` : jsonType(observedAt)}`,
      );
    }
  }
  for (const name of STRING_FIELDS) {
    const v = fact[name];
    if (v !== undefined && v !== null && typeof v !== 'string')
      throw factError(what, place(at), `"${name}" must be a string, got ${jsonType(v)}`);
  }
  const processId = fact['processId'];
  if (processId !== undefined && processId !== null && (!Number.isSafeInteger(processId) || (processId as number) < 0)) {
    throw factError(what, place(at), `"processId" must be a non-negative integer, got ${jsonType(processId)}`);
  }
  const purl = fact['purl'];
  if (purl !== undefined && purl !== null && (typeof purl !== 'string' || !validPurl(purl))) {
    throw factError(what, place(at), `"purl" must be a valid Package URL (pkg:type/namespace/name@version)`);
  }
  const metadata = fact['metadata'];
  if (metadata !== undefined && metadata !== null && (typeof metadata !== 'object' || Array.isArray(metadata))) {
    throw factError(what, place(at), `"metadata" must be an object, got ${jsonType(metadata)}`);
  }
  for (const name of RESERVED) {
    if (name in fact) throw factError(what, place(at), `"${name}" is reserved: the fact stream adds it from the batch's provenance`);
  }
  const codeId = fact['codeId'];
  const loaderBase = fact['loaderBase'];
  into.symbolId = symbolId;
  into.type = type as string;
  into.hitCount = hitCount as number;
  into.codeId = typeof codeId === 'string' ? codeId : '';
  into.loaderBase = typeof loaderBase === 'string' ? loaderBase : '';
}
