/** The review use cases (ReviewUseCases): decisions, VEX publishing and the chain check, over one set of deps. */
import type { Principal } from '../authz/principal.js';
import { verifyChain } from './review-chain.js';
import type { ReviewDeps } from './review-deps.js';
import { ReviewDecisions } from './review-service.js';
import type {
  ChainVerification,
  DecisionResult,
  PublishedVex,
  PublishResult,
  ReviewDetail,
  ReviewItem,
  ReviewQuery,
  ReviewUseCases,
} from './review-use-cases.js';
import { VexPublishing } from './review-vex.js';

export class ReviewService implements ReviewUseCases {
  readonly #decisions: ReviewDecisions;
  readonly #vex: VexPublishing;

  constructor(readonly d: ReviewDeps) {
    this.#decisions = new ReviewDecisions(d);
    this.#vex = new VexPublishing(d, this.#decisions);
  }

  list(principal: Principal, query: ReviewQuery): Promise<readonly ReviewItem[]> {
    return this.#decisions.list(principal, query);
  }
  show(principal: Principal, artifactId: string, tenant?: string): Promise<ReviewDetail> {
    return this.#decisions.show(principal, artifactId, tenant);
  }
  approve(
    principal: Principal,
    artifactId: string,
    input: { comment?: string | undefined; tenant?: string | undefined },
  ): Promise<DecisionResult> {
    return this.#decisions.approve(principal, artifactId, input);
  }
  reject(principal: Principal, artifactId: string, input: { reason: string; tenant?: string | undefined }): Promise<DecisionResult> {
    return this.#decisions.reject(principal, artifactId, input);
  }
  groundTruth(
    principal: Principal,
    artifactId: string,
    input: { callgraphId: string; symbol?: string | undefined; tenant?: string | undefined },
  ): Promise<DecisionResult> {
    return this.#decisions.groundTruth(principal, artifactId, input);
  }
  override(principal: Principal, artifactId: string, input: { reason: string; tenant?: string | undefined }): Promise<DecisionResult> {
    return this.#decisions.override(principal, artifactId, input);
  }
  publish(principal: Principal, artifactId: string, input: { tenant?: string | undefined }): Promise<PublishResult> {
    return this.#vex.publish(principal, artifactId, input);
  }
  vex(
    principal: Principal,
    query: { purl: string; tenant?: string | undefined; limit?: number | undefined },
  ): Promise<readonly PublishedVex[]> {
    return this.#vex.vex(principal, query);
  }
  vexOf(principal: Principal, artifactId: string, tenant?: string): Promise<PublishedVex> {
    return this.#vex.vexOf(principal, artifactId, tenant);
  }
  exportVex(principal: Principal, artifactId: string, tenant?: string): Promise<unknown> {
    return this.#vex.exportVex(principal, artifactId, tenant);
  }
  verifyChain(principal: Principal, input: { attestation: unknown; tenant?: string | undefined }): Promise<ChainVerification> {
    return verifyChain(this.d, this.#decisions, principal, input);
  }
}
