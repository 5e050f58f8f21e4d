/**
 * Records one transition: decide it (review-state.ts), sign it, store it in
 * the locker (so it is logged), then commit it with the state it leads to.
 * Two reviewers deciding at once race on (artifact_id, sequence): the loser
 * re-reads the state and decides again, which then refuses a second decision
 * (409) instead of losing it. A record whose commit lost stays in the locker
 * and the log, unreferenced: the index's chain is the one that counts, and
 * `attest verify --chain` reads it.
 */
import type { Principal } from '../authz/principal.js';
import { canonicalize } from '../core/canonical-json.js';
import { sha256Digest, type Digest } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import type { AiArtifactRow } from '../store/db/ai-repo.js';
import type { AiReviewRow, AiTransitionRow, VexStatementRow } from '../store/db/review-repo.js';
import { reviewWriter, type ReviewDeps } from './review-deps.js';
import { signTransition, transitionDigestOf } from './review-records.js';
import {
  initialState,
  nextState,
  TRANSITION_OF,
  type ArtifactFacts,
  type ReviewAction,
  type ReviewPolicy,
  type ReviewState,
} from './review-state.js';
import type { GroundTruthResult, StoredTransition, TransitionRecord } from './review-use-cases.js';
import type { ArtifactType, Authority } from './types.js';

const MAX_ATTEMPTS = 10;

export const policyOf = (d: ReviewDeps): ReviewPolicy => d.config.review;

export function factsOf(row: AiArtifactRow): ArtifactFacts {
  return {
    artifactId: row.artifact_id,
    artifactType: row.artifact_type as ArtifactType,
    initialAuthority: row.authority as Authority,
    createdBy: row.created_by,
  };
}

export function stateOf(row: AiArtifactRow, state: AiReviewRow | undefined): ReviewState {
  if (state === undefined) return initialState(factsOf(row));
  return {
    authority: state.authority as Authority,
    decision: state.decision as ReviewState['decision'],
    flagged: state.flagged === 1,
    approvers: JSON.parse(state.approvers_json) as string[],
    published: state.published === 1,
  };
}

export function storedTransition(row: AiTransitionRow, logIndex: number | null = null): StoredTransition {
  const record = JSON.parse(row.record_json) as TransitionRecord;
  return { ...record, digest: row.digest as Digest, recordId: row.record_id, logIndex };
}

/** The draft's digests a transition cites: its statement, its DSSE envelope (the locker record), its output. */
export async function draftDigests(d: ReviewDeps, row: AiArtifactRow): Promise<TransitionRecord['draft']> {
  let attestationDigest: Digest | null = null;
  if (row.record_id !== null) {
    const got = await d.locker.get(reviewWriter(row.tenant), row.record_id).catch(() => undefined);
    // An envelope that cannot be read is what verification reports; the transition cites what the index says.
    attestationDigest = got === undefined ? null : sha256Digest(got.bytes);
  }
  const manifest = await d.ai.attestation(reviewWriter(row.tenant), row.artifact_id, row.tenant);
  return {
    statementDigest: row.statement_digest as Digest,
    attestationDigest,
    outputHash: manifest.statement.predicate.output.contentHash,
  };
}

export interface TransitionInput {
  readonly principal: Principal;
  readonly row: AiArtifactRow;
  readonly action: ReviewAction;
  readonly comment?: string | null | undefined;
  readonly groundTruth?: GroundTruthResult | null | undefined;
  /** For a publication: the VEX attestation (built once the state allows it) and its index row. */
  readonly publication?:
    ((state: ReviewState) => Promise<{ vexId: string; attestationDigest: Digest; vexRow: VexStatementRow }>) | undefined;
  /** Checks that must pass before anything is written (the draft still verifies, …). */
  readonly precheck?: (() => Promise<void>) | undefined;
}

export async function recordTransition(
  d: ReviewDeps,
  input: TransitionInput,
): Promise<{ state: ReviewState; transition: StoredTransition }> {
  const { row, action, principal } = input;
  const facts = factsOf(row);
  const policy = policyOf(d);
  // Refusals that need no write come first: the rules on the current state, then the prechecks.
  nextState(stateOf(row, await d.repo.state(row.artifact_id)), action, facts, policy);
  await input.precheck?.();
  const draft = await draftDigests(d, row);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await d.repo.state(row.artifact_id);
    const before = stateOf(row, stored);
    const after = nextState(before, action, facts, policy);
    const sequence = (stored?.head_sequence ?? 0) + 1;
    const pub = input.publication === undefined ? undefined : await input.publication(after);
    const record: TransitionRecord = {
      artifactId: row.artifact_id,
      tenant: row.tenant,
      sequence,
      kind: TRANSITION_OF[action.kind],
      fromAuthority: before.authority,
      toAuthority: after.authority,
      decision: after.decision,
      principal: { tokenId: principal.tokenId, role: principal.role },
      timestamp: d.clock.now().toISOString(),
      comment: input.comment ?? null,
      reason: action.kind === 'rejection' || action.kind === 'override' ? action.reason : null,
      draft,
      approvals: { count: after.approvers.length, required: policy.approvalsRequired, reviewers: after.approvers },
      groundTruth: input.groundTruth ?? null,
      publication: pub === undefined ? null : { vexId: pub.vexId, attestationDigest: pub.attestationDigest },
      previousDigest: (stored?.head_digest as Digest | undefined) ?? null,
    };
    const digest = transitionDigestOf(record);
    const { envelope, bytes } = signTransition(record, d.signer());
    const put = await d.locker.putRecord(reviewWriter(row.tenant), {
      tenant: row.tenant,
      envelope: bytes,
      parsedJson: envelope,
      extraBlobs: [],
    });
    const transitionRow: AiTransitionRow = {
      artifact_id: row.artifact_id,
      sequence,
      tenant: row.tenant,
      kind: record.kind,
      principal: principal.tokenId,
      digest,
      previous_digest: record.previousDigest,
      record_id: put.id,
      timestamp: record.timestamp,
      record_json: canonicalize(record),
    };
    const stateRow: AiReviewRow = {
      artifact_id: row.artifact_id,
      tenant: row.tenant,
      authority: after.authority,
      decision: after.decision,
      flagged: after.flagged ? 1 : 0,
      approvers_json: JSON.stringify(after.approvers),
      head_sequence: sequence,
      head_digest: digest,
      published: after.published ? 1 : 0,
      updated_at: record.timestamp,
    };
    if (await d.repo.commit(transitionRow, stateRow, pub?.vexRow))
      return { state: after, transition: { ...record, digest, recordId: put.id, logIndex: put.logIndex } };
  }
  throw new AttestryError('E_CONFLICT', `${row.artifact_id} kept changing while this decision was recorded; try again`, {
    details: { retryable: true },
  });
}
