/**
 * One symbol's reachability derivation (docs/reachability.md): static
 * evidence from the callgraph index, runtime evidence from the window's
 * batches, the lattice cell they meet in, and the citations a verifier needs
 * to re-derive it. Pure: the server and `attestry signals verify-verdict`
 * call it with the same inputs and must get the same bytes.
 */
import { AttestryError } from '../core/errors.js';
import { combineStates } from './reach-lattice.js';
import { compareInstants, runtimeEvidence } from './reach-runtime.js';
import {
  REACHABILITY_RULES_VERSION,
  type CallgraphCitation,
  type CitedBatch,
  type ReachabilityDerivation,
  type ReachabilityWindow,
  type RuntimeThresholds,
  type StaticEvidence,
} from './reach-types.js';

export interface DeriveInput {
  readonly callgraph: CallgraphCitation;
  readonly symbol: string;
  readonly vulnerability: string | null;
  readonly static: StaticEvidence;
  readonly batches: readonly CitedBatch[];
  readonly window: ReachabilityWindow;
  readonly thresholds: RuntimeThresholds;
}

/** Oldest first by receivedAt as an instant, then batch id: the order a verdict cites batches in. */
export function compareBatches(a: CitedBatch, b: CitedBatch): number {
  const byTime = compareInstants(a.receivedAt, b.receivedAt);
  if (byTime !== 0) return byTime;
  return a.batchId < b.batchId ? -1 : a.batchId > b.batchId ? 1 : 0;
}

function checkThresholds(t: RuntimeThresholds): void {
  for (const [field, value] of [
    ['minBatches', t.minBatches],
    ['minSources', t.minSources],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new AttestryError('E_INVALID_INPUT', `${field}: expected a non-negative integer, got ${String(value)}`, { details: { field } });
    }
  }
}

export function deriveReachability(input: DeriveInput): ReachabilityDerivation {
  checkThresholds(input.thresholds);
  const batches = [...input.batches].sort(compareBatches);
  const runtime = runtimeEvidence(batches, input.thresholds);
  const provenanceIds = [...new Set(batches.filter((b) => b.hitCount >= 1).map((b) => b.provenanceId))].sort();
  const cg = input.callgraph;
  return {
    rulesVersion: REACHABILITY_RULES_VERSION,
    callgraphId: cg.graphId,
    tenantId: cg.tenantId,
    componentPurl: cg.componentPurl,
    symbol: input.symbol,
    vulnerability: input.vulnerability,
    state: combineStates(input.static.state, runtime.state),
    static: input.static,
    runtime,
    window: { since: input.window.since, until: input.window.until },
    thresholds: { minBatches: input.thresholds.minBatches, minSources: input.thresholds.minSources },
    evidence: { callgraph: cg, manifestDigest: cg.manifestDigest, provenanceIds, batches },
  };
}
