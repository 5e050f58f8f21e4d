/**
 * A reachability result as an OpenVEX 0.2.0 document (docs/reachability.md
 * "OpenVEX"): one statement about the component, whose status follows the
 * states of the symbols asked. Reachable or seen-running code is `affected`;
 * code with no path is `not_affected` (vulnerable_code_not_in_execute_path);
 * everything the evidence cannot settle is `under_investigation`, never
 * `not_affected`.
 */
import { sha256Hex } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import { evidenceDigestOf } from './reach-verdict.js';
import {
  OPENVEX_CONTEXT,
  SYMBOL_URN_PREFIX,
  type OpenVexDocument as CoreOpenVexDocument,
  type OpenVexStatement as CoreOpenVexStatement,
  type OpenVexSubcomponent,
  type VexStatus as CoreVexStatus,
} from '../core/openvex.js';
import type { ReachabilityAnswer, ReachabilityResult, ReachabilityState } from './reach-types.js';

/** The statuses a reachability result can give: never `fixed` (that is a claim about a release, not a graph). */
export type VexStatus = Exclude<CoreVexStatus, 'fixed'>;

export const VEX_STATUS: Readonly<Record<ReachabilityState, VexStatus>> = Object.freeze({
  ConfirmedReachable: 'affected',
  StaticReachable: 'affected',
  RuntimeObserved: 'affected',
  Contested: 'affected',
  ConfirmedUnreachable: 'not_affected',
  StaticUnreachable: 'not_affected',
  Unknown: 'under_investigation',
  RuntimeUnobserved: 'under_investigation',
});

export { OPENVEX_CONTEXT, SYMBOL_URN_PREFIX, type OpenVexSubcomponent };
export const VEX_ID_PREFIX = 'https://attestry.dev/vex/reachability/';

export interface OpenVexOptions {
  readonly author: string;
  /** The vulnerable packages (OSV affected[].package.purl), when known. */
  readonly packagePurls?: readonly string[];
  /** The document's timestamp; default the first answer's decidedAt. */
  readonly timestamp?: string;
  /** Other names of the vulnerability (OSV aliases). */
  readonly aliases?: readonly string[];
}

/** What a reachability statement always carries: the component with its symbols, a status of the three, notes. */
export interface OpenVexStatement extends CoreOpenVexStatement {
  readonly products: readonly { readonly '@id': string; readonly subcomponents: readonly OpenVexSubcomponent[] }[];
  readonly status: VexStatus;
  readonly status_notes: string;
  readonly justification?: 'vulnerable_code_not_in_execute_path';
}

/** One statement about the component, version 1, by attestry. */
export interface OpenVexDocument extends CoreOpenVexDocument {
  readonly version: 1;
  readonly tooling: 'attestry';
  readonly statements: readonly [OpenVexStatement];
}

/** affected if any symbol is, else under_investigation if any is, else not_affected. */
export function combinedStatus(states: readonly ReachabilityState[]): VexStatus {
  const statuses = new Set(states.map((s) => VEX_STATUS[s]));
  return statuses.has('affected') ? 'affected' : statuses.has('under_investigation') ? 'under_investigation' : 'not_affected';
}

function note(a: ReachabilityAnswer): string {
  const r = a.runtime;
  const seen =
    r.hitCount > 0 ? `${r.hitCount} hits in ${r.batchCount} of ${r.windowBatchCount} batches` : `no hits in ${r.windowBatchCount} batches`;
  const path = a.static.path.length > 0 ? `; path ${a.static.path.join(' -> ')}` : '';
  return `${a.symbol}: ${a.state} (static ${a.static.state}, runtime ${r.state}: ${seen}${path})`;
}

const list = (answers: readonly ReachabilityAnswer[]): string => answers.map((a) => a.symbol).join(', ');

export function openVexOf(result: ReachabilityResult, options: OpenVexOptions): OpenVexDocument {
  const answers = result.results;
  const first = answers[0];
  if (first === undefined) throw new AttestryError('E_INVALID_INPUT', 'an OpenVEX document needs at least one symbol: ask for one');
  const timestamp = options.timestamp ?? first.decidedAt;
  const digests = answers.map((a) => evidenceDigestOf(a)).join(',');
  const status = combinedStatus(answers.map((a) => a.state));
  const subcomponents: OpenVexSubcomponent[] = [
    ...[...new Set(options.packagePurls ?? [])].map((purl) => ({ '@id': purl })),
    ...answers.map((a) => ({ '@id': SYMBOL_URN_PREFIX + encodeURIComponent(a.symbol) })),
  ];
  const name = result.vulnerability ?? (answers.length === 1 ? first.symbol : `symbols:${answers.length}`);
  const aliases = [...new Set(options.aliases ?? [])].filter((x) => x !== name);
  const statement: OpenVexStatement = {
    vulnerability: aliases.length > 0 ? { name, aliases } : { name },
    timestamp,
    products: [{ '@id': result.componentPurl, subcomponents }],
    status,
    status_notes: answers.map(note).join('; '),
    ...statusFields(status, answers, result.callgraphId),
  };
  return {
    '@context': OPENVEX_CONTEXT,
    '@id': `${VEX_ID_PREFIX}${encodeURIComponent(result.callgraphId)}/${sha256Hex(digests)}`,
    author: options.author,
    timestamp,
    version: 1,
    tooling: 'attestry',
    statements: [statement],
  };
}

function statusFields(
  status: VexStatus,
  answers: readonly ReachabilityAnswer[],
  callgraphId: string,
): Pick<OpenVexStatement, 'justification' | 'impact_statement' | 'action_statement'> {
  if (status === 'affected') {
    const hit = answers.filter((a) => VEX_STATUS[a.state] === 'affected');
    return {
      action_statement: `Upgrade the vulnerable package or remove the calls: ${list(hit)} reachable or seen running in callgraph ${callgraphId}`,
    };
  }
  if (status === 'not_affected') {
    return {
      justification: 'vulnerable_code_not_in_execute_path',
      impact_statement: `No call path from an entry point of callgraph ${callgraphId} reaches ${list(answers)}, and no runtime fact saw it run`,
    };
  }
  return {};
}
