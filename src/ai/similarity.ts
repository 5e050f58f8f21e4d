/**
 * How close a replayed output is to the original (docs/ai.md "Similarity").
 * similarityScore = 1 − d / max(n, m), d the Levenshtein distance over
 * tokens (Unicode words and single punctuation marks after NFC). The common
 * prefix and suffix are trimmed first; the rest is exact up to EXACT_CAP
 * tokens each, beyond that a band of BAND tokens around the diagonal (an
 * upper bound on d, so the score is a lower bound), in O(n·BAND) time.
 */
import type { DivergenceDetail, ReplayStatus } from './types.js';

const EXACT_CAP = 4000;
const BAND = 512;
const SNIPPET = 40;
const EQUIVALENT_SCORE = 0.95;

export function tokenize(text: string): string[] {
  return text.normalize('NFC').match(/[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu) ?? [];
}

function distance(a: readonly string[], b: readonly string[]): number {
  let s = 0;
  while (s < a.length && s < b.length && a[s] === b[s]) s++;
  let ea = a.length;
  let eb = b.length;
  while (ea > s && eb > s && a[ea - 1] === b[eb - 1]) {
    ea--;
    eb--;
  }
  const x = a.slice(s, ea);
  const y = b.slice(s, eb);
  if (x.length === 0 || y.length === 0) return Math.max(x.length, y.length);
  const banded = x.length > EXACT_CAP || y.length > EXACT_CAP;
  const band = banded ? Math.max(BAND, Math.abs(x.length - y.length) + 1) : Infinity;
  const INF = Number.MAX_SAFE_INTEGER;
  let prev = new Array<number>(y.length + 1);
  let cur = new Array<number>(y.length + 1);
  for (let j = 0; j <= y.length; j++) prev[j] = j <= band ? j : INF;
  for (let i = 1; i <= x.length; i++) {
    const lo = banded ? Math.max(1, i - band) : 1;
    const hi = banded ? Math.min(y.length, i + band) : y.length;
    cur.fill(INF);
    cur[0] = i <= band ? i : INF;
    for (let j = lo; j <= hi; j++) {
      const sub = (prev[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1);
      cur[j] = Math.min(sub, (prev[j] as number) + 1, (cur[j - 1] as number) + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return Math.min(prev[y.length] as number, Math.max(x.length, y.length));
}

export function similarityScore(a: string, b: string): number {
  const x = tokenize(a);
  const y = tokenize(b);
  const n = Math.max(x.length, y.length);
  return n === 0 ? 1 : 1 - distance(x, y) / n;
}

/** CVE/GHSA ids, PURLs, versions and numbers: what a reworded sentence must keep. */
export function factsOf(text: string): string[] {
  return (text.match(/CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3}|pkg:[^\s"'<>]+|\d+(?:\.\d+)+|\d+/gi) ?? [])
    .map((f) => f.toUpperCase())
    .sort();
}

const normalise = (s: string): string => s.normalize('NFKC').replace(/\s+/g, ' ').trim();

function snippet(s: string, at: number): string {
  const start = Math.max(0, at - SNIPPET);
  const end = Math.min(s.length, at + SNIPPET);
  return `${start > 0 ? '...' : ''}${s.slice(start, end)}${end < s.length ? '...' : ''}`;
}

export function compareOutputs(
  original: string,
  replayed: string,
): { status: Exclude<ReplayStatus, 'failed'>; similarityScore: number; details: DivergenceDetail[] } {
  if (original === replayed) return { status: 'identical', similarityScore: 1, details: [] };
  let at = 0;
  while (at < original.length && at < replayed.length && original[at] === replayed[at]) at++;
  const details: DivergenceDetail[] = [
    {
      type: 'content_divergence',
      description: 'Content differs at position',
      position: at,
      originalSnippet: snippet(original, at),
      replayedSnippet: snippet(replayed, at),
    },
  ];
  if (original.length !== replayed.length)
    details.push({
      type: 'length_divergence',
      description: `Length differs: ${original.length} characters originally, ${replayed.length} replayed`,
      position: Math.min(original.length, replayed.length),
      originalSnippet: snippet(original, Math.min(original.length, replayed.length)),
      replayedSnippet: snippet(replayed, Math.min(original.length, replayed.length)),
    });
  const score = similarityScore(original, replayed);
  const sameFacts = JSON.stringify(factsOf(original)) === JSON.stringify(factsOf(replayed));
  const equivalent = normalise(original) === normalise(replayed) || (score >= EQUIVALENT_SCORE && sameFacts);
  return { status: equivalent ? 'semantically-equivalent' : 'divergent', similarityScore: score, details };
}
