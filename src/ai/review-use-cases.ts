/**
 * Human review of AI drafts and VEX publishing (issue 17, seed 002 "Integration
 * with VEX"): what the CLI, the API and the tests call. Each decision is a
 * signed, logged transition record that cites the draft's attestation digest
 * and the transition before it; nothing unapproved is published.
 */
import type { Principal } from '../authz/principal.js';
import type { Digest } from '../core/digest.js';
import type { DsseEnvelope } from '../crypto/dsse.js';
import type { OpenVexDocument, VexClaim } from './vex-types.js';
import type { ArtifactType, Authority, ContextDocument, Finding } from './types.js';

/** What a transition record says happened. */
export const TRANSITION_KINDS = ['approval', 'rejection', 'ground-truth', 'override', 'publication'] as const;
export type TransitionKind = (typeof TRANSITION_KINDS)[number];

/** Where a draft stands: `pending` until decided; `approved` once enough reviewers approved; `rejected` for ever. */
export type ReviewDecision = 'pending' | 'approved' | 'rejected';

/** The result of checking a VEX claim against a signed reachability verdict. */
export interface GroundTruthResult {
  /** `agrees` → ai-verified; `disagrees` → flagged; `inconclusive` → recorded, nothing changes. */
  readonly outcome: 'agrees' | 'disagrees' | 'inconclusive';
  readonly callgraphId: string;
  readonly symbol: string;
  /** The cited verdict: its locker record id, envelope digest, lattice state and evidence digest. */
  readonly verdict: {
    readonly verdictId: string;
    readonly digest: Digest;
    readonly state: string;
    readonly evidenceDigest: Digest;
    readonly componentPurl: string;
  };
  /** The VEX status the verdict implies (affected | not_affected | under_investigation). */
  readonly impliedStatus: string;
  readonly message: string;
}

/** One signed transition (the predicate of its in-toto statement, plus where it is stored). */
export interface TransitionRecord {
  readonly artifactId: string;
  readonly tenant: string;
  /** 1-based position in this artifact's transitions. */
  readonly sequence: number;
  readonly kind: TransitionKind;
  readonly fromAuthority: Authority;
  readonly toAuthority: Authority;
  readonly decision: ReviewDecision;
  readonly principal: { readonly tokenId: string; readonly role: string };
  readonly timestamp: string;
  readonly comment: string | null;
  readonly reason: string | null;
  /** The draft this decides on: its statement digest, DSSE envelope digest and output hash. */
  readonly draft: { readonly statementDigest: Digest; readonly attestationDigest: Digest | null; readonly outputHash: Digest };
  /** Approvals so far (distinct reviewers) and how many `advisoryAi.review.approvalsRequired` asks. */
  readonly approvals: { readonly count: number; readonly required: number; readonly reviewers: readonly string[] };
  readonly groundTruth: GroundTruthResult | null;
  /** For a publication: the published VEX attestation's envelope digest and document id. */
  readonly publication: { readonly vexId: string; readonly attestationDigest: Digest } | null;
  /** `digest` of the transition before this one; null for the first. */
  readonly previousDigest: Digest | null;
}

export interface StoredTransition extends TransitionRecord {
  /** sha256 of the record's RFC 8785 form: the next transition's `previousDigest`. */
  readonly digest: Digest;
  /** The locker record (kind ai-reviews) holding the signed statement. */
  readonly recordId: string;
  readonly logIndex: number | null;
}

/** A draft as a reviewer sees it. */
export interface ReviewItem {
  readonly artifactId: string;
  readonly tenant: string;
  readonly artifactType: ArtifactType;
  readonly authority: Authority;
  readonly decision: ReviewDecision;
  /** Ground truth disagreed and no reviewer has overridden it: publishing is refused. */
  readonly flagged: boolean;
  readonly published: boolean;
  readonly generatedAt: string;
  readonly createdBy: string;
  readonly modelId: string;
  readonly weightsDigest: Digest;
  readonly templateVersion: string;
  readonly approvals: { readonly count: number; readonly required: number; readonly reviewers: readonly string[] };
}

export interface ReviewDetail extends ReviewItem {
  readonly finding: Finding;
  readonly output: string;
  readonly contextDocuments: readonly Omit<ContextDocument, 'content'>[];
  /** The VEX claim a vex_draft makes (null for other types). */
  readonly claim: VexClaim | null;
  /** The latest replay's outcome from the audit trail (`identical`, `divergent; causes: …`), null if never replayed. */
  readonly replayStatus: string | null;
  readonly groundTruth: GroundTruthResult | null;
  readonly transitions: readonly StoredTransition[];
  readonly attestation: DsseEnvelope | null;
}

export interface ReviewQuery {
  readonly tenant?: string | undefined;
  readonly type?: ArtifactType | undefined;
  /** Default `pending`; `all` lists every artifact. */
  readonly state?: ReviewDecision | 'all' | undefined;
  /** Only drafts generated at least this many seconds ago. */
  readonly minAgeSeconds?: number | undefined;
  readonly limit?: number | undefined;
}

export interface DecisionResult {
  readonly item: ReviewItem;
  readonly transition: StoredTransition;
}

export interface PublishResult {
  readonly artifactId: string;
  readonly vexId: string;
  readonly document: OpenVexDocument;
  /** The signed in-toto attestation (predicateType https://openvex.dev/ns/v0.2.0). */
  readonly envelope: DsseEnvelope;
  readonly recordId: string;
  readonly logIndex: number | null;
  /** False when this draft was already published and the stored publication is returned. */
  readonly created: boolean;
}

export interface PublishedVex {
  readonly artifactId: string;
  readonly vexId: string;
  readonly tenant: string;
  readonly productPurl: string;
  readonly vulnerability: string;
  readonly status: string;
  readonly publishedAt: string;
  readonly document: OpenVexDocument;
  readonly recordId: string;
}

/** One named check of a chain verification; `ok: null` when it did not apply (the log is off). */
export interface ChainCheck {
  readonly name:
    | 'vex-signature'
    | 'vex-published'
    | 'vex-log-inclusion'
    | 'draft-attestation'
    | 'transition-chain'
    | 'transition-signatures'
    | 'transition-log-inclusion'
    | 'authority'
    | 'publication-binding';
  readonly ok: boolean | null;
  readonly message: string;
}

/** `attest verify --chain`: generation → draft attestation → transitions → published VEX → log entries. */
export interface ChainVerification {
  readonly valid: boolean;
  readonly artifactId: string | null;
  readonly checks: readonly ChainCheck[];
  readonly failedCheck: ChainCheck['name'] | null;
}

export interface ReviewUseCases {
  list(principal: Principal, query: ReviewQuery): Promise<readonly ReviewItem[]>;
  show(principal: Principal, artifactId: string, tenant?: string): Promise<ReviewDetail>;
  approve(
    principal: Principal,
    artifactId: string,
    input: { comment?: string | undefined; tenant?: string | undefined },
  ): Promise<DecisionResult>;
  reject(principal: Principal, artifactId: string, input: { reason: string; tenant?: string | undefined }): Promise<DecisionResult>;
  /** Checks a vex_draft's claim against the latest signed verdict of (callgraphId, symbol); symbol defaults to the claim's. */
  groundTruth(
    principal: Principal,
    artifactId: string,
    input: { callgraphId: string; symbol?: string | undefined; tenant?: string | undefined },
  ): Promise<DecisionResult>;
  /** Clears a ground-truth flag; a reason is required. */
  override(principal: Principal, artifactId: string, input: { reason: string; tenant?: string | undefined }): Promise<DecisionResult>;
  publish(principal: Principal, artifactId: string, input: { tenant?: string | undefined }): Promise<PublishResult>;
  vex(
    principal: Principal,
    query: { purl: string; tenant?: string | undefined; limit?: number | undefined },
  ): Promise<readonly PublishedVex[]>;
  vexOf(principal: Principal, artifactId: string, tenant?: string): Promise<PublishedVex>;
  /** The published VEX attestation as a Sigstore bundle (v0.3 JSON). */
  exportVex(principal: Principal, artifactId: string, tenant?: string): Promise<unknown>;
  verifyChain(principal: Principal, input: { attestation: unknown; tenant?: string | undefined }): Promise<ChainVerification>;
}
