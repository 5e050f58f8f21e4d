import type { EdgeClass } from './reach-types.js';

/**
 * How a stored callgraph edge counts for reachability (docs/reachability.md
 * "Edge kinds"). Scanners name the kind of a call in different fields and
 * words; the rules map them onto five classes and err on the side of
 * "possible": a word we do not know is `dynamic`, never a certain call, so an
 * unfamiliar graph can make an answer `uncertain` but never wrongly
 * `reachable` or `unreachable`.
 */

/** Calls that happen whenever the caller runs the call site: a path over these alone is `reachable`. */
export const CERTAIN_EDGES: ReadonlySet<EdgeClass> = new Set<EdgeClass>(['static', 'runtime']);

const WORDS: ReadonlyMap<string, EdgeClass> = new Map<string, EdgeClass>([
  ['static', 'static'],
  ['direct', 'static'],
  ['call', 'static'],
  ['direct_call', 'static'],
  ['invoke', 'static'],
  ['import', 'static'],
  ['runtime', 'runtime'],
  ['observed', 'runtime'],
  ['heuristic', 'heuristic'],
  ['dynamic', 'dynamic'],
  ['virtual', 'dynamic'],
  ['indirect', 'dynamic'],
  ['reflection', 'dynamic'],
  ['reflective', 'dynamic'],
  ['callback', 'dynamic'],
  ['dispatch', 'dynamic'],
]);

// The fields scanners put the kind in, in the order they are consulted.
const KIND_FIELDS = ['kind', 'callKind', 'edgeKind'] as const;

/** The class of an edge from its stored `extra` (undefined when the edge has none). */
export function classifyEdge(extra: Readonly<Record<string, unknown>> | undefined): EdgeClass {
  if (extra === undefined) return 'static';
  if (extra['isResolved'] === false) return 'unresolved';
  for (const field of KIND_FIELDS) {
    const value = extra[field];
    if (typeof value === 'string') return WORDS.get(value.toLowerCase()) ?? 'dynamic';
  }
  return 'static';
}

/**
 * The class of the extra edges an edge's `extra.candidates` adds (the
 * targets a dispatch may go to): `unresolved` when the edge is unresolved,
 * the edge's own class when it is a possible one, else `dynamic` — a
 * candidate is never a certain call, even on a static edge.
 */
export function candidateClass(edge: EdgeClass): EdgeClass {
  return CERTAIN_EDGES.has(edge) ? 'dynamic' : edge;
}

/** The string entries of `extra.candidates` (node ids the call may go to), in their order; [] when there are none. */
export function edgeCandidates(extra: Readonly<Record<string, unknown>> | undefined): readonly string[] {
  const list = extra?.['candidates'];
  if (!Array.isArray(list)) return [];
  return list.filter((c): c is string => typeof c === 'string');
}
