import type { Principal } from '../authz/principal.js';

/**
 * Reachability answers (docs/reachability.md): the eight states, the static
 * and runtime evidence a state is derived from, and the signed verdict's
 * predicate. The server and the offline verifier (`attestry signals
 * verify-verdict`) derive states with the same pure functions over these
 * shapes, so what a verdict cites is enough to re-derive it.
 */

export const REACHABILITY_STATES = [
  'Unknown',
  'StaticReachable',
  'StaticUnreachable',
  'RuntimeObserved',
  'RuntimeUnobserved',
  'ConfirmedReachable',
  'ConfirmedUnreachable',
  'Contested',
] as const;
export type ReachabilityState = (typeof REACHABILITY_STATES)[number];

/** The in-toto predicate type of a signed reachability verdict. */
export const REACHABILITY_PREDICATE_TYPE = 'https://attestry.dev/attestation/reachability/v1';
/** Names the derivation rules of docs/reachability.md; a verdict is re-derived by the rules it names. */
export const REACHABILITY_RULES_VERSION = 'attestry-reachability/1';

/**
 * How an edge of a stored callgraph is classified (docs/reachability.md
 * "Edge kinds"): `static` and `runtime` are certain calls; `heuristic`,
 * `dynamic` and `unresolved` are possible calls.
 */
export type EdgeClass = 'static' | 'runtime' | 'heuristic' | 'dynamic' | 'unresolved';

/**
 * What the callgraph says about a symbol:
 * - `reachable`: a path from an entry point over certain edges only;
 * - `uncertain`: only paths that use at least one possible edge;
 * - `unreachable`: the symbol is in the graph and no path of any kind reaches it;
 * - `absent`: no node of the graph is the symbol (no static evidence).
 */
export type StaticState = 'reachable' | 'uncertain' | 'unreachable' | 'absent';

/** One node of a call path; `edgeKind` is the class of the edge into it (null for the entry point). */
export interface PathStep {
  readonly nodeId: string;
  readonly symbol: string;
  readonly edgeKind: EdgeClass | null;
}

export interface StaticEvidence {
  readonly state: StaticState;
  /** Ids of the nodes that are the symbol (their `symbol`, or their id when they have none, equals it), sorted. */
  readonly matchedNodes: readonly string[];
  /** The entry node the path starts at; null when there is no path. */
  readonly entryPoint: string | null;
  /** Symbols from the entry point to the queried symbol; empty when there is no path. */
  readonly path: readonly string[];
  readonly steps: readonly PathStep[];
  /** The possible-edge classes the path uses, sorted unique (empty for a certain path). */
  readonly uncertainEdges: readonly EdgeClass[];
}

/** Batches count when their provenance `receivedAt` is within [since, until] (inclusive; null = open). */
export interface ReachabilityWindow {
  readonly since: string | null;
  readonly until: string | null;
}

/** How much runtime coverage "not seen" needs before it is evidence (RuntimeUnobserved). */
export interface RuntimeThresholds {
  readonly minBatches: number;
  readonly minSources: number;
}

/** A runtime-fact batch of the window, as a verdict cites it, with the queried symbol's hits in it. */
export interface CitedBatch {
  readonly batchId: string;
  readonly provenanceId: string;
  readonly provenanceHash: string;
  readonly receivedAt: string;
  readonly source: string;
  /** The batch attestation's locker record (its id is the batch id), its digest and log entry; null when not attested/logged. */
  readonly attestationId: string | null;
  readonly attestationDigest: string | null;
  readonly logIndex: number | null;
  readonly rekorUuid: string | null;
  /** Sum of `hitCount` of the batch's facts whose `symbolId` is the queried symbol. */
  readonly hitCount: number;
  /** Earliest and latest `observedAt` of those facts (ISO-8601 as stored), null when none has one. */
  readonly firstSeen: string | null;
  readonly lastSeen: string | null;
}

export type RuntimeState = 'observed' | 'unobserved' | 'none';

export interface RuntimeEvidence {
  readonly state: RuntimeState;
  readonly hitCount: number;
  readonly firstSeen: string | null;
  readonly lastSeen: string | null;
  /** Batches with at least one hit, and their sources (sorted unique). */
  readonly batchCount: number;
  readonly sources: readonly string[];
  /** Every batch of the window for this callgraph, and their sources (sorted unique). */
  readonly windowBatchCount: number;
  readonly windowSources: readonly string[];
}

export interface CallgraphCitation {
  readonly graphId: string;
  readonly tenantId: string;
  readonly componentPurl: string;
  /** sha256 of the normalised NDJSON (the manifest's `digest`). */
  readonly digest: string;
  /** sha256 of the stored `callgraphs/{tenant}/{graph_id}.ndjson.zst` blob (the verdict's first subject). */
  readonly contentDigest: string;
  /** sha256 of `manifests/{graph_id}.json`. */
  readonly manifestDigest: string;
  /** The signed manifest's locker record (id = graph id) and its log entry; null when unsigned or unlogged. */
  readonly manifestAttestationId: string | null;
  readonly manifestLogIndex: number | null;
  readonly manifestRekorUuid: string | null;
}

export interface ReachabilityEvidence {
  readonly callgraph: CallgraphCitation;
  /** = callgraph.manifestDigest (the acceptance interface names it here). */
  readonly manifestDigest: string;
  /** Provenance ids of the batches whose facts saw the symbol, sorted. */
  readonly provenanceIds: readonly string[];
  /** Every batch of the window, oldest first (receivedAt, then batch id). */
  readonly batches: readonly CitedBatch[];
}

/** What is derived and signed; everything except the chain fields. */
export interface ReachabilityDerivation {
  readonly rulesVersion: string;
  readonly callgraphId: string;
  readonly tenantId: string;
  readonly componentPurl: string;
  readonly symbol: string;
  /** The vulnerability the symbol stands for (an OSV id, a CVE), when the question named one. */
  readonly vulnerability: string | null;
  readonly state: ReachabilityState;
  readonly static: StaticEvidence;
  readonly runtime: RuntimeEvidence;
  readonly window: ReachabilityWindow;
  readonly thresholds: RuntimeThresholds;
  readonly evidence: ReachabilityEvidence;
}

export interface VerdictLink {
  readonly attestationId: string;
  /** sha256 of the previous verdict's DSSE envelope bytes (its locker digest). */
  readonly digest: string;
}

/** The predicate of a verdict statement (predicateType REACHABILITY_PREDICATE_TYPE). */
export interface ReachabilityPredicate extends ReachabilityDerivation {
  readonly decidedAt: string;
  /** 1 for a symbol's first verdict on a callgraph, then +1. */
  readonly sequence: number;
  readonly previous: VerdictLink | null;
  /** sha256 of the RFC 8785 JSON of the ReachabilityDerivation: equal digests = nothing new to record. */
  readonly evidenceDigest: string;
}

/** One symbol's answer as the API returns it. */
export interface ReachabilityAnswer extends ReachabilityDerivation {
  /** = static.path (top level for the acceptance interface). */
  readonly path: readonly string[];
  readonly decidedAt: string;
  /** With attest: the verdict's locker record, its digest, log index and place in the chain. */
  readonly attestationId?: string | undefined;
  readonly verdictDigest?: string | undefined;
  readonly logIndex?: number | null | undefined;
  readonly rekorUuid?: string | null | undefined;
  readonly sequence?: number | undefined;
  readonly previous?: VerdictLink | null | undefined;
  /** false when the newest verdict already said the same on the same evidence (it is returned instead). */
  readonly created?: boolean | undefined;
}

export interface ReachabilityQuery {
  readonly tenant?: string | undefined;
  /** Exactly one of callgraphId and purl (the newest stored callgraph of the PURL is used). */
  readonly callgraphId?: string | undefined;
  readonly purl?: string | undefined;
  /** Symbol ids; with `osv`, added to the advisory's. */
  readonly symbols: readonly string[];
  /** An OSV advisory (parsed JSON, not trusted). */
  readonly osv?: unknown;
  readonly vulnerability?: string | undefined;
  readonly window: ReachabilityWindow;
  readonly thresholds?: Partial<RuntimeThresholds> | undefined;
  readonly attest: boolean;
}

export interface ReachabilityResult {
  readonly callgraphId: string;
  readonly componentPurl: string;
  readonly vulnerability: string | null;
  /** One per symbol, in the order asked (duplicates removed). */
  readonly results: readonly ReachabilityAnswer[];
}

export interface VerdictHistoryEntry {
  readonly sequence: number;
  readonly attestationId: string;
  readonly digest: string;
  readonly previous: VerdictLink | null;
  readonly state: ReachabilityState;
  readonly decidedAt: string;
  readonly logIndex: number | null;
  readonly rekorUuid: string | null;
}

export interface ReachabilityHistory {
  readonly callgraphId: string;
  readonly symbol: string;
  /** Oldest first. */
  readonly verdicts: readonly VerdictHistoryEntry[];
  /** Each verdict's `previous` is the one before it (digest and id), checked against the stored envelopes. */
  readonly chainOk: boolean;
}

export interface ReachabilityUseCases {
  answer(principal: Principal, query: ReachabilityQuery): Promise<ReachabilityResult>;
  history(principal: Principal, query: { tenant?: string | undefined; callgraphId: string; symbol: string }): Promise<ReachabilityHistory>;
  /** A stored verdict: its predicate (parsed from the envelope) and the DSSE envelope bytes. */
  verdict(principal: Principal, attestationId: string): Promise<{ predicate: ReachabilityPredicate; envelope: Buffer }>;
}
