/**
 * Output comparison for replay (seed 002 "Divergence Detection"). The score is
 * 1 − tokenLevenshtein / max(tokenCounts) over Unicode word and punctuation
 * tokens. Equivalence is stricter than the score: a text that only changes a
 * CVE id or a version is similar but says something else, so facts must match.
 */
import type { DivergenceDetail } from './types.js';

/** Remaining tokens per side up to which the exact O(n·m) DP runs. */
const EXACT_CAP = 4000;
/** Half-width of the diagonal band used beyond the cap. */
const BAND = 512;
const SNIPPET = 40;
const EQUIVALENT_SCORE = 0.95;

const TOKEN_RE = /[\p{L}\p{M}\p{N}_]+|[^\s\p{L}\p{M}\p{N}_]/gu;

export function tokenize(text: string): string[] {
  return text.normalize('NFC').match(TOKEN_RE) ?? [];
}

export function similarityScore(a: string, b: string): number {
  return scoreTokens(tokenize(a), tokenize(b));
}

function scoreTokens(x: readonly string[], y: readonly string[]): number {
  const max = Math.max(x.length, y.length);
  if (max === 0) return 1;
  return Math.max(0, 1 - tokenDistance(x, y) / max);
}

function tokenDistance(x: readonly string[], y: readonly string[]): number {
  let start = 0;
  while (start < x.length && start < y.length && x[start] === y[start]) start++;
  let endX = x.length;
  let endY = y.length;
  while (endX > start && endY > start && x[endX - 1] === y[endY - 1]) {
    endX--;
    endY--;
  }
  // Tokens interned to integers: the inner loop then compares numbers, not strings.
  const ids = new Map<string, number>();
  const intern = (t: readonly string[]): Int32Array =>
    Int32Array.from(t, (tok) => {
      let id = ids.get(tok);
      if (id === undefined) ids.set(tok, (id = ids.size));
      return id;
    });
  const a = intern(x.slice(start, endX));
  const b = intern(y.slice(start, endY));
  if (a.length === 0 || b.length === 0) return Math.max(a.length, b.length);
  if (a.length <= EXACT_CAP && b.length <= EXACT_CAP) return exactDistance(a, b);
  return bandedDistance(a, b);
}

/** Two-row Levenshtein, exact. */
function exactDistance(a: Int32Array, b: Int32Array): number {
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ai = a[i - 1];
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1]! + (ai === b[j - 1] ? 0 : 1);
      cur[j] = Math.min(sub, prev[j]! + 1, cur[j - 1]! + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/**
 * Levenshtein restricted to cells within BAND of the (length-scaled) diagonal.
 * Every path it counts is a real edit script, so the result is an upper bound
 * on the true distance (exact when the optimal alignment stays in the band);
 * the score it yields is therefore a lower bound: divergence is never hidden.
 * Cost O((n + m)·BAND) instead of O(n·m).
 */
function bandedDistance(a: Int32Array, b: Int32Array): number {
  const n = a.length;
  const m = b.length;
  const INF = 0x3fffffff;
  const width = m + 1;
  let prev = new Uint32Array(width).fill(INF);
  let cur = new Uint32Array(width).fill(INF);
  const centre = (i: number): number => Math.round((i * m) / n);
  for (let j = 0; j <= Math.min(m, BAND); j++) prev[j] = j;
  let prevLo = 0;
  let prevHi = Math.min(m, BAND);
  for (let i = 1; i <= n; i++) {
    const c = centre(i);
    const lo = Math.max(0, c - BAND);
    const hi = Math.min(m, c + BAND);
    for (let j = lo; j <= hi; j++) {
      let best = INF;
      if (j === 0) best = i;
      else {
        if (j - 1 >= prevLo && j - 1 <= prevHi) best = prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
        if (j - 1 >= lo) best = Math.min(best, cur[j - 1]! + 1);
      }
      if (j >= prevLo && j <= prevHi) best = Math.min(best, prev[j]! + 1);
      cur[j] = best;
    }
    [prev, cur] = [cur, prev];
    prevLo = lo;
    prevHi = hi;
  }
  // The band always ends at (n, m) since centre(n) = m.
  return prev[m]!;
}

/** NFKC, whitespace runs → one space, trimmed. */
function normalise(text: string): string {
  return text.normalize('NFKC').replace(/\s+/gu, ' ').trim();
}

const FACT_RE = /\b(?:CVE-\d{4}-\d{4,}|GHSA(?:-[23456789cfghjmpqrvwx]{4}){3})\b|pkg:[A-Za-z0-9.+-]+\/[^\s"'<>]+|\d+(?:\.\d+)+|\d+/giu;

/** CVE/GHSA ids, PURLs, version-like tokens and other numbers, sorted (a multiset). */
export function factsOf(text: string): string[] {
  const found = normalise(text).match(FACT_RE) ?? [];
  return found.map((f) => (/^(cve|ghsa)-/i.test(f) ? f.toUpperCase() : f.replace(/[.,;:)\]]+$/u, ''))).sort();
}

function sameFacts(a: string, b: string): boolean {
  const fa = factsOf(a);
  const fb = factsOf(b);
  return fa.length === fb.length && fa.every((f, i) => f === fb[i]);
}

export interface OutputComparison {
  status: 'identical' | 'semantically-equivalent' | 'divergent';
  similarityScore: number;
  details: DivergenceDetail[];
}

export function compareOutputs(original: string, replayed: string): OutputComparison {
  if (original === replayed) return { status: 'identical', similarityScore: 1, details: [] };
  const score = similarityScore(original, replayed);
  const equivalent = normalise(original) === normalise(replayed) || (score >= EQUIVALENT_SCORE && sameFacts(original, replayed));
  return { status: equivalent ? 'semantically-equivalent' : 'divergent', similarityScore: score, details: detailsOf(original, replayed) };
}

function detailsOf(original: string, replayed: string): DivergenceDetail[] {
  let position = 0;
  while (position < original.length && position < replayed.length && original[position] === replayed[position]) position++;
  const details: DivergenceDetail[] = [
    {
      type: 'content_divergence',
      description: 'Content differs at position',
      position,
      originalSnippet: snippet(original, position),
      replayedSnippet: snippet(replayed, position),
    },
  ];
  if (original.length !== replayed.length) {
    details.push({
      type: 'length_divergence',
      description: `Length differs: original ${original.length}, replayed ${replayed.length} characters`,
      position: Math.min(original.length, replayed.length),
      originalSnippet: snippet(original, Math.min(original.length, replayed.length)),
      replayedSnippet: snippet(replayed, Math.min(original.length, replayed.length)),
    });
  }
  return details;
}

function snippet(text: string, at: number): string {
  const from = Math.max(0, at - SNIPPET);
  const to = Math.min(text.length, at + SNIPPET);
  return `${from > 0 ? '...' : ''}${text.slice(from, to)}${to < text.length ? '...' : ''}`;
}
