/**
 * Checks a reachability question before anything is read: which callgraph
 * (exactly one of an id and a PURL), which symbols, the window and the
 * coverage thresholds. Everything here comes from a request, so each field
 * is checked and bounded, and a bad one is E_INVALID_INPUT naming it.
 */
import { AttestryError } from '../core/errors.js';
import { parseUlid } from '../core/ids.js';
import { parseTenantId } from '../core/tenant.js';
import type { SignalsDeps } from './deps.js';
import { parsePurl, type ParsedPurl } from './purl.js';
import { parseWindow } from './reach-runtime.js';
import type { ReachabilityQuery, ReachabilityWindow, RuntimeThresholds } from './reach-types.js';
import { parseSymbolId } from './symbol-id.js';

const VULNERABILITY_RE = /^[^\p{Cc}\s][^\p{Cc}]{0,255}$/u;

export interface CheckedQuery {
  readonly tenant: string | undefined;
  readonly graph: { readonly id: string } | { readonly purl: ParsedPurl; readonly text: string };
  readonly symbols: readonly string[];
  readonly osv: unknown;
  readonly vulnerability: string | null;
  readonly window: ReachabilityWindow;
  readonly thresholds: RuntimeThresholds;
  readonly attest: boolean;
}

const invalid = (field: string, message: string): AttestryError =>
  new AttestryError('E_INVALID_INPUT', `${field}: ${message}`, { details: { field } });

function threshold(value: unknown, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw invalid(field, `expected a positive whole number, got ${typeof value === 'number' ? String(value) : typeof value}`);
  return value;
}

/** The symbols asked for, in order, checked and without duplicates; at most `max`. */
export function checkSymbols(symbols: readonly unknown[], max: number, field = 'symbol'): string[] {
  if (symbols.length > max)
    throw invalid(field, `${symbols.length} symbols is more than ${max} (Signals.Reachability.MaxSymbolsPerQuery); ask in several queries`);
  return [...new Set(symbols.map((s, i) => parseSymbolId(s, `${field}[${i}]`)))];
}

export function checkQuery(d: Pick<SignalsDeps, 'config'>, q: ReachabilityQuery): CheckedQuery {
  const cfg = d.config.Reachability;
  const hasId = q.callgraphId !== undefined && q.callgraphId !== '';
  const hasPurl = q.purl !== undefined && q.purl !== '';
  if (hasId === hasPurl)
    throw new AttestryError(
      'E_INVALID_INPUT',
      hasId
        ? 'give either callgraph_id or purl, not both: a question is about one callgraph'
        : 'name the callgraph: callgraph_id=ULID, or purl=pkg:… for the newest stored callgraph of a component',
      { details: { field: 'callgraph_id' } },
    );
  const graph = hasId ? { id: parseUlid(q.callgraphId, 'callgraph_id') } : { purl: parsePurl(q.purl, 'purl'), text: q.purl as string };
  if (!Array.isArray(q.symbols)) throw invalid('symbols', 'expected a list of symbol ids');
  const symbols = checkSymbols(q.symbols, cfg.MaxSymbolsPerQuery);
  if (symbols.length === 0 && q.osv === undefined)
    throw invalid('symbol', 'name at least one symbol id (symbol=…), or send an OSV advisory (osv) whose symbols to ask about');
  let vulnerability: string | null = null;
  if (q.vulnerability !== undefined && q.vulnerability !== '') {
    if (!VULNERABILITY_RE.test(q.vulnerability))
      throw invalid(
        'vulnerability',
        'expected an identifier such as GHSA-xxxx-xxxx-xxxx or CVE-2026-1234 (1-256 characters, no control characters)',
      );
    vulnerability = q.vulnerability;
  }
  const thresholds = q.thresholds ?? {};
  return {
    tenant: q.tenant === undefined ? undefined : parseTenantId(q.tenant),
    graph,
    symbols,
    osv: q.osv,
    vulnerability,
    window: parseWindow(q.window.since ?? undefined, q.window.until ?? undefined),
    thresholds: {
      minBatches: threshold(thresholds.minBatches, cfg.MinBatches, 'minBatches'),
      minSources: threshold(thresholds.minSources, cfg.MinSources, 'minSources'),
    },
    attest: q.attest,
  };
}
