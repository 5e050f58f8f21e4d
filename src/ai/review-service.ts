/**
 * The review use cases (issue 17) over the AI artifacts: list and show
 * drafts, approve, reject, check ground truth, override a flag. Roles are
 * enforced here, on the server side of every adapter: deciding needs write
 * on `ai-reviews` (reviewers only); reading needs read (reviewer, ai-service,
 * policy-engine, audit-service, admin). A tenant the caller does not act for
 * is 404, as everywhere. Publishing and the VEX reads are in review-vex.ts,
 * the chain check in review-chain.ts.
 */
import { actsFor, authorize, writeTenant, type Principal } from '../authz/principal.js';
import type { Digest } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import type { AiArtifactRow } from '../store/db/ai-repo.js';
import { checkClaim } from './ground-truth.js';
import { parseArtifactId } from './ids.js';
import type { ReviewDeps } from './review-deps.js';
import { factsOf, policyOf, recordTransition, stateOf, storedTransition } from './review-transitions.js';
import { assertCheckable, type ReviewAction } from './review-state.js';
import type { DecisionResult, GroundTruthResult, ReviewDetail, ReviewItem, ReviewQuery } from './review-use-cases.js';
import { ARTIFACT_TYPES, type ArtifactType, type Authority, type AuditOperation } from './types.js';
import { vexClaimOf } from './vex-claim.js';

export const REVIEW_KIND = 'ai-reviews';
const MAX_TEXT = 16_384;

const noArtifact = (id: string) => () => new AttestryError('E_NOT_FOUND', `no AI artifact ${id}`);

function text(value: string | undefined, field: string): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || value.length > MAX_TEXT)
    throw new AttestryError('E_INVALID_INPUT', `${field}: a string of at most ${MAX_TEXT} characters`);
  return value;
}

export class ReviewDecisions {
  constructor(readonly d: ReviewDeps) {}

  /** Role first (a role without the grant learns nothing), then the artifact in a tenant the caller acts for. */
  async row(principal: Principal, artifactId: string, action: 'read' | 'write', tenant?: string): Promise<AiArtifactRow> {
    if (!this.d.kinds.can(principal.role, REVIEW_KIND, action))
      throw new AttestryError('E_FORBIDDEN', `role ${principal.role} may not ${action === 'write' ? 'decide on' : 'read'} AI drafts`, {
        details: { role: principal.role, kind: REVIEW_KIND, action },
      });
    parseArtifactId(artifactId);
    const row = await this.d.aiRepo.artifact(artifactId);
    if (row === undefined || !actsFor(principal, row.tenant) || (tenant !== undefined && tenant !== row.tenant))
      throw noArtifact(artifactId)();
    authorize(principal, row.tenant, REVIEW_KIND, action, noArtifact(artifactId), this.d.kinds);
    return row;
  }

  item(row: AiArtifactRow, state: ReturnType<typeof stateOf>): ReviewItem {
    const policy = policyOf(this.d);
    return {
      artifactId: row.artifact_id,
      tenant: row.tenant,
      artifactType: row.artifact_type as ArtifactType,
      authority: state.authority,
      decision: state.decision,
      flagged: state.flagged,
      published: state.published,
      generatedAt: row.generated_at,
      createdBy: row.created_by,
      modelId: row.model_id,
      weightsDigest: row.weights_digest as Digest,
      templateVersion: row.template_version,
      approvals: { count: state.approvers.length, required: policy.approvalsRequired, reviewers: state.approvers },
    };
  }

  async list(principal: Principal, q: ReviewQuery): Promise<readonly ReviewItem[]> {
    const tenant = writeTenant(principal, q.tenant);
    authorize(principal, tenant, REVIEW_KIND, 'read', () => new AttestryError('E_NOT_FOUND', `unknown tenant "${tenant}"`), this.d.kinds);
    if (q.type !== undefined && !(ARTIFACT_TYPES as readonly string[]).includes(q.type))
      throw new AttestryError('E_INVALID_INPUT', `type: one of ${ARTIFACT_TYPES.join(', ')}`);
    const generatedBefore =
      q.minAgeSeconds === undefined ? undefined : new Date(this.d.clock.now().getTime() - q.minAgeSeconds * 1000).toISOString();
    const rows = await this.d.repo.list({
      tenant,
      type: q.type,
      state: q.state ?? 'pending',
      generatedBefore,
      limit: Math.min(q.limit ?? 100, 1000),
    });
    const policy = policyOf(this.d);
    return rows.map((r) => ({
      artifactId: r.artifact_id,
      tenant: r.tenant,
      artifactType: r.artifact_type as ArtifactType,
      authority: (r.authority ?? r.initial_authority) as Authority,
      decision: (r.decision ?? 'pending') as ReviewItem['decision'],
      flagged: r.flagged === 1,
      published: r.published === 1,
      generatedAt: r.generated_at,
      createdBy: r.created_by,
      modelId: r.model_id,
      weightsDigest: r.weights_digest as Digest,
      templateVersion: r.template_version,
      approvals: {
        count: r.approvers_json === null ? 0 : (JSON.parse(r.approvers_json) as string[]).length,
        required: policy.approvalsRequired,
        reviewers: r.approvers_json === null ? [] : (JSON.parse(r.approvers_json) as string[]),
      },
    }));
  }

  async show(principal: Principal, artifactId: string, tenant?: string): Promise<ReviewDetail> {
    const row = await this.row(principal, artifactId, 'read', tenant);
    const stored = await this.d.ai.attestation(principal, artifactId, row.tenant);
    const state = stateOf(row, await this.d.repo.state(artifactId));
    const transitions = (await this.d.repo.transitions(artifactId)).map((t) => storedTransition(t));
    const replay = [...stored.audit].reverse().find((a) => a.operation === 'ai_replay');
    const groundTruth = [...transitions].reverse().find((t) => t.groundTruth !== null)?.groundTruth ?? null;
    const m = stored.manifest;
    return {
      ...this.item(row, state),
      finding: m.finding,
      output: m.output.content,
      contextDocuments: m.context.contextPack.map(({ content: _c, ...doc }) => doc),
      claim: row.artifact_type === 'vex_draft' ? vexClaimOf(m.finding, m.output.content) : null,
      replayStatus: replay?.outcome ?? null,
      groundTruth,
      transitions,
      attestation: stored.envelope,
    };
  }

  async #decide(
    principal: Principal,
    row: AiArtifactRow,
    action: ReviewAction,
    extra: { comment?: string | null; groundTruth?: GroundTruthResult; precheck?: () => Promise<void> } = {},
  ): Promise<DecisionResult> {
    const { state, transition } = await recordTransition(this.d, {
      principal,
      row,
      action,
      comment: extra.comment,
      groundTruth: extra.groundTruth,
      precheck: extra.precheck,
    });
    await this.audit(
      principal,
      row,
      state.authority,
      `${transition.kind}: ${transition.decision}${extra.groundTruth ? ` (${extra.groundTruth.outcome})` : ''}`,
    );
    return { item: this.item(row, state), transition };
  }

  async audit(
    principal: Principal,
    row: AiArtifactRow,
    authority: Authority,
    outcome: string,
    operation: AuditOperation = 'ai_review',
  ): Promise<void> {
    await this.d.audit.append(principal, row.tenant, {
      operation,
      artifactId: row.artifact_id,
      artifactType: row.artifact_type as ArtifactType,
      modelId: row.model_id,
      authority,
      inputHashes: [row.statement_digest as Digest],
      outputHash: row.statement_digest as Digest,
      signed: row.signed === 1,
      replayable: true,
      outcome,
    });
  }

  /** A draft whose attestation no longer verifies is not approved or published: the failed check is named. */
  async stillVerifies(principal: Principal, row: AiArtifactRow): Promise<void> {
    const refuse = (failedCheck: string, message: string): AttestryError =>
      new AttestryError('E_SIGNATURE_INVALID', `the draft's attestation no longer verifies: ${failedCheck}: ${message}`, {
        details: { failedCheck },
      });
    let stored;
    try {
      stored = await this.d.ai.attestation(principal, row.artifact_id, row.tenant);
    } catch (e) {
      // The locker and blob store check digests on read: a changed file is found here.
      throw refuse('integrity', e instanceof Error ? e.message : String(e));
    }
    if (stored.envelope === null)
      throw refuse('signature', `${row.artifact_id} was generated unsigned; only a signed draft can be approved`);
    const v = await this.d.ai.verify(principal, { tenant: row.tenant, attestation: stored.envelope });
    if (!v.valid) throw refuse(v.failedCheck ?? 'verify', v.checks.find((c) => c.name === v.failedCheck)?.message ?? '');
  }

  async approve(
    principal: Principal,
    artifactId: string,
    input: { comment?: string | undefined; tenant?: string | undefined },
  ): Promise<DecisionResult> {
    const comment = text(input.comment, 'comment');
    const row = await this.row(principal, artifactId, 'write', input.tenant);
    return this.#decide(
      principal,
      row,
      { kind: 'approval', by: principal.tokenId },
      { comment, precheck: () => this.stillVerifies(principal, row) },
    );
  }

  async reject(principal: Principal, artifactId: string, input: { reason: string; tenant?: string | undefined }): Promise<DecisionResult> {
    const reason = text(input.reason, 'reason') ?? '';
    const row = await this.row(principal, artifactId, 'write', input.tenant);
    return this.#decide(principal, row, { kind: 'rejection', by: principal.tokenId, reason });
  }

  async override(
    principal: Principal,
    artifactId: string,
    input: { reason: string; tenant?: string | undefined },
  ): Promise<DecisionResult> {
    const reason = text(input.reason, 'reason') ?? '';
    const row = await this.row(principal, artifactId, 'write', input.tenant);
    return this.#decide(principal, row, { kind: 'override', by: principal.tokenId, reason });
  }

  async groundTruth(
    principal: Principal,
    artifactId: string,
    input: { callgraphId: string; symbol?: string | undefined; tenant?: string | undefined },
  ): Promise<DecisionResult> {
    // A machine check, not a decision: reviewers and the AI service may ask for it.
    if (principal.role !== 'ai-service' && !this.d.kinds.can(principal.role, REVIEW_KIND, 'write'))
      throw new AttestryError('E_FORBIDDEN', `role ${principal.role} may not run ground-truth checks`);
    const row = await this.row(principal, artifactId, 'read', input.tenant);
    assertCheckable(stateOf(row, await this.d.repo.state(artifactId)), factsOf(row));
    const stored = await this.d.ai.attestation(principal, artifactId, row.tenant);
    const claim = vexClaimOf(stored.manifest.finding, stored.manifest.output.content);
    const symbol = input.symbol ?? claim.symbol;
    if (symbol === null)
      throw new AttestryError('E_INVALID_INPUT', `the finding of ${artifactId} names no symbol: give the symbol the verdict is about`);
    const verdict = await this.d.verdictFor(row.tenant, input.callgraphId, symbol);
    const result = checkClaim(claim, verdict);
    return this.#decide(principal, row, { kind: 'ground-truth', result }, { groundTruth: result });
  }
}
