/** The shapes the console reads, as the server's routes send them (see /docs). */
export interface Session {
  readonly role: string;
  readonly tenants: '*' | readonly string[];
  readonly csrfToken: string;
  readonly expiresAt: string | null;
  readonly can: { readonly review: boolean; readonly publish: boolean; readonly readLog: boolean };
}

export interface NamedCheck {
  readonly name: string;
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly message: string;
  readonly code?: string;
}

export interface ChainReport {
  readonly ok: boolean;
  readonly skipped: number;
  readonly checks: readonly NamedCheck[];
}

export interface ReviewItem {
  readonly artifactId: string;
  readonly tenant: string;
  readonly artifactType: string;
  readonly decision: 'pending' | 'approved' | 'rejected';
  readonly flagged: boolean;
  readonly published: boolean;
  readonly generatedAt: string;
  readonly createdBy: string;
  readonly modelId: string;
  readonly weightsDigest: string;
  readonly templateVersion: string;
  readonly approvals: { readonly count: number; readonly required: number; readonly reviewers: readonly string[] };
}

export interface Transition {
  readonly sequence: number;
  readonly kind: string;
  readonly decision: string;
  readonly principal: { readonly tokenId: string; readonly role: string };
  readonly timestamp: string;
  readonly comment: string | null;
  readonly reason: string | null;
  readonly digest: string;
  readonly recordId: string;
  readonly logIndex: number | null;
}

export interface ReviewDetail extends ReviewItem {
  readonly finding: Readonly<Record<string, unknown>>;
  readonly output: string;
  readonly contextDocuments: readonly { readonly name: string; readonly mediaType: string; readonly digest: string }[];
  readonly claim: Readonly<Record<string, unknown>> | null;
  readonly replayStatus: string | null;
  readonly groundTruth: Readonly<Record<string, unknown>> | null;
  readonly transitions: readonly Transition[];
  readonly attestation: Readonly<Record<string, unknown>> | null;
}

export interface SearchHit {
  readonly type: 'evidence' | 'callgraph' | 'batch' | 'ai-artifact' | 'vex';
  readonly id: string;
  readonly tenant: string;
  readonly label: string;
  readonly createdAt: string | null;
}

export interface RuntimeBatch {
  readonly batchId: string;
  readonly source: string;
  readonly hitCount: number;
  readonly firstSeen: string | null;
  readonly lastSeen: string | null;
  readonly logIndex: number | null;
}

export interface ReachabilityAnswer {
  readonly callgraphId: string;
  readonly componentPurl: string;
  readonly symbol: string;
  readonly state: string;
  readonly path: readonly string[];
  readonly decidedAt: string;
  readonly runtime: Readonly<Record<string, unknown>>;
  readonly evidence: { readonly batches: readonly RuntimeBatch[] };
}

export interface Verdict {
  readonly sequence: number;
  readonly attestationId: string;
  readonly state: string;
  readonly decidedAt: string;
  readonly logIndex: number | null;
}
