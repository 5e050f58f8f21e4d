/**
 * Runtime evidence of a reachability answer (docs/reachability.md "Runtime
 * evidence"): which batches of the window saw the symbol, and whether the
 * window covers enough to count "not seen" as evidence.
 *
 * Instants are compared as instants, never as strings: fact timestamps are
 * stored with a variable-length fraction (formatInstant) and provenance
 * times may carry an offset, so "…00.5Z" < "…00.123456Z" as text is wrong.
 */
import { AttestryError } from '../core/errors.js';
import { parseInstant } from './facts-validate.js';
import type { CitedBatch, ReachabilityWindow, RuntimeEvidence, RuntimeThresholds } from './reach-types.js';

interface Instant {
  readonly ms: number;
  readonly sub: number;
}

function instantOf(text: string, what: string): Instant {
  const t = parseInstant(text);
  if (t === null) {
    throw new AttestryError('E_INVALID_INPUT', `${what}: "${text.slice(0, 64)}" is not an ISO-8601 instant such as 2026-12-02T10:00:00Z`, {
      details: { field: what },
    });
  }
  return t;
}

function compare(a: Instant, b: Instant): number {
  return a.ms !== b.ms ? (a.ms < b.ms ? -1 : 1) : a.sub !== b.sub ? (a.sub < b.sub ? -1 : 1) : 0;
}

/** Negative, 0 or positive as instant `a` is before, at or after `b`; E_INVALID_INPUT for text that is not an instant. */
export function compareInstants(a: string, b: string): number {
  return compare(instantOf(a, 'instant'), instantOf(b, 'instant'));
}

/** The window of a query; each bound is checked, and since after until is refused (it would silently match nothing). */
export function parseWindow(since: string | undefined, until: string | undefined): ReachabilityWindow {
  const s = since === undefined || since === '' ? null : since;
  const u = until === undefined || until === '' ? null : until;
  const si = s === null ? null : instantOf(s, 'since');
  const ui = u === null ? null : instantOf(u, 'until');
  if (si !== null && ui !== null && compare(si, ui) > 0) {
    throw new AttestryError('E_INVALID_INPUT', `since (${s}) is after until (${u}): give a window whose start is not after its end`, {
      details: { field: 'since' },
    });
  }
  return { since: s, until: u };
}

/** Whether `receivedAt` lies within the window, both bounds inclusive, null bounds open. */
export function inWindow(receivedAt: string, w: ReachabilityWindow): boolean {
  const t = instantOf(receivedAt, 'receivedAt');
  if (w.since !== null && compare(t, instantOf(w.since, 'since')) < 0) return false;
  if (w.until !== null && compare(t, instantOf(w.until, 'until')) > 0) return false;
  return true;
}

/** The earlier (`pick` < 0) or later (> 0) of two optional instants, keeping the original text. */
function pickInstant(current: string | null, candidate: string | null, pick: -1 | 1, what: string): string | null {
  if (candidate === null) return current;
  if (current === null) {
    instantOf(candidate, what);
    return candidate;
  }
  return compare(instantOf(candidate, what), instantOf(current, what)) * pick > 0 ? candidate : current;
}

/** Sum of hits of `symbol` over aggregates (server rows or re-aggregated offline). */
export function symbolHits(
  aggregates: Iterable<{ symbolId: string; hitCount: number; firstSeen: string | null; lastSeen: string | null }>,
  symbol: string,
): { hitCount: number; firstSeen: string | null; lastSeen: string | null } {
  let hitCount = 0;
  let firstSeen: string | null = null;
  let lastSeen: string | null = null;
  for (const a of aggregates) {
    if (a.symbolId !== symbol) continue;
    hitCount += a.hitCount;
    firstSeen = pickInstant(firstSeen, a.firstSeen, -1, 'firstSeen');
    lastSeen = pickInstant(lastSeen, a.lastSeen, 1, 'lastSeen');
  }
  return { hitCount, firstSeen, lastSeen };
}

const sortedUnique = (values: Iterable<string>): string[] => [...new Set(values)].sort();

/**
 * observed: at least one hit in the window; unobserved: none, and the window
 * has at least minBatches batches from at least minSources sources; none:
 * otherwise (too little coverage for "not seen" to mean anything).
 */
export function runtimeEvidence(batches: readonly CitedBatch[], t: RuntimeThresholds): RuntimeEvidence {
  let hitCount = 0;
  let firstSeen: string | null = null;
  let lastSeen: string | null = null;
  const hit: CitedBatch[] = [];
  for (const b of batches) {
    if (b.hitCount <= 0) continue;
    hit.push(b);
    hitCount += b.hitCount;
    firstSeen = pickInstant(firstSeen, b.firstSeen, -1, 'firstSeen');
    lastSeen = pickInstant(lastSeen, b.lastSeen, 1, 'lastSeen');
  }
  const windowSources = sortedUnique(batches.map((b) => b.source));
  const state = hitCount >= 1 ? 'observed' : batches.length >= t.minBatches && windowSources.length >= t.minSources ? 'unobserved' : 'none';
  return {
    state,
    hitCount,
    firstSeen,
    lastSeen,
    batchCount: hit.length,
    sources: sortedUnique(hit.map((b) => b.source)),
    windowBatchCount: batches.length,
    windowSources,
  };
}
