/**
 * A VEX draft's claim against a signed reachability verdict (issue 17,
 * docs/ai.md "Ground truth"). The verdict's lattice state implies a VEX
 * status (the same table reachability's own OpenVEX output uses); the claim
 * agrees when the statuses match, disagrees when they contradict, and is
 * inconclusive when either side asserts nothing (under_investigation, fixed).
 * A not_affected claim only counts as agreeing when its justification is one
 * a call graph can settle: vulnerable_code_not_in_execute_path (or none).
 */
import { VEX_STATUS } from '../signals/reach-openvex.js';
import type { ReachabilityState } from '../signals/reach-types.js';
import { parsePurl } from '../signals/purl.js';
import type { GroundTruthResult } from './review-use-cases.js';
import type { VexClaim } from './vex-types.js';

export interface VerdictFacts {
  readonly verdictId: string;
  readonly digest: `sha256:${string}`;
  readonly state: ReachabilityState;
  readonly evidenceDigest: `sha256:${string}`;
  readonly componentPurl: string;
  readonly callgraphId: string;
  readonly symbol: string;
}

/** Same package (`pkg:type/namespace/name`), and the same version when both name one. */
export function sameComponent(claimPurl: string, verdictPurl: string): boolean {
  const a = parsePurl(claimPurl, 'claim product');
  const b = parsePurl(verdictPurl, 'verdict component');
  return a.key === b.key && (a.version === null || b.version === null || a.version === b.version);
}

const CALLGRAPH_JUSTIFICATIONS = new Set<string | null>([null, 'vulnerable_code_not_in_execute_path']);

export function checkClaim(claim: VexClaim, v: VerdictFacts): GroundTruthResult {
  const implied = VEX_STATUS[v.state];
  const verdict = {
    verdictId: v.verdictId,
    digest: v.digest,
    state: v.state,
    evidenceDigest: v.evidenceDigest,
    componentPurl: v.componentPurl,
  };
  const base = { callgraphId: v.callgraphId, symbol: v.symbol, verdict, impliedStatus: implied };
  const cite = `verdict ${v.verdictId} (${v.digest}) says ${v.symbol} is ${v.state}`;
  if (!sameComponent(claim.productPurl, v.componentPurl))
    return {
      ...base,
      outcome: 'inconclusive',
      message: `the verdict is about ${v.componentPurl}, the draft about ${claim.productPurl}: not the same component`,
    };
  if (claim.status === 'under_investigation' || claim.status === 'fixed' || implied === 'under_investigation')
    return {
      ...base,
      outcome: 'inconclusive',
      message: `the draft claims ${claim.status}; ${cite} (${implied}): nothing a verdict can confirm or refute`,
    };
  if (claim.status === 'not_affected' && !CALLGRAPH_JUSTIFICATIONS.has(claim.justification))
    return {
      ...base,
      outcome: implied === 'affected' ? 'disagrees' : 'inconclusive',
      message: `the draft justifies not_affected with ${claim.justification ?? ''}, which a call graph does not settle; ${cite}`,
    };
  if (claim.status === implied) return { ...base, outcome: 'agrees', message: `the draft claims ${claim.status}; ${cite}: they agree` };
  return { ...base, outcome: 'disagrees', message: `the draft claims ${claim.status}; ${cite}, which means ${implied}` };
}
