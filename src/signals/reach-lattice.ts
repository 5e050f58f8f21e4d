/**
 * The reachability lattice (docs/reachability.md "States"): what the
 * callgraph says about a symbol (static) combined with what runtime facts
 * say (runtime) gives one of the eight states. One table, as data, so the
 * server, the offline verifier and the docs agree cell by cell.
 */
import type { ReachabilityState, RuntimeState, StaticState } from './reach-types.js';

export const LATTICE: Readonly<Record<StaticState, Readonly<Record<RuntimeState, ReachabilityState>>>> = Object.freeze({
  // A path that was not exercised is still a path: reachable + unobserved stays StaticReachable.
  reachable: Object.freeze({ observed: 'ConfirmedReachable', unobserved: 'StaticReachable', none: 'StaticReachable' }),
  // A possible edge is not evidence either way: runtime decides, or nothing does.
  uncertain: Object.freeze({ observed: 'RuntimeObserved', unobserved: 'RuntimeUnobserved', none: 'Unknown' }),
  absent: Object.freeze({ observed: 'RuntimeObserved', unobserved: 'RuntimeUnobserved', none: 'Unknown' }),
  // The graph says no path, yet the symbol ran: the graph is wrong or incomplete.
  unreachable: Object.freeze({ observed: 'Contested', unobserved: 'ConfirmedUnreachable', none: 'StaticUnreachable' }),
});

export function combineStates(s: StaticState, r: RuntimeState): ReachabilityState {
  return LATTICE[s][r];
}
