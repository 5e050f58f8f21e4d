/**
 * The authority state machine of issue 17, pure: given where an artifact
 * stands and what someone asks, the state it moves to, or the refusal that
 * names why. The service persists what this decides; `attest verify --chain`
 * replays the stored transitions through it to check the stored state.
 *
 *   ai-draft-requires-review ─approve (N distinct reviewers)→ human-approved
 *   any undecided            ─reject (reason)────────────────→ rejected, for ever
 *   vex_draft                ─ground truth agrees────────────→ ai-verified
 *                            ─ground truth disagrees─────────→ flagged (override with a reason)
 */
import { AttestryError } from '../core/errors.js';
import type { GroundTruthResult, ReviewDecision, TransitionKind } from './review-use-cases.js';
import type { ArtifactType, Authority } from './types.js';

export interface ReviewState {
  readonly authority: Authority;
  readonly decision: ReviewDecision;
  readonly flagged: boolean;
  readonly approvers: readonly string[];
  readonly published: boolean;
}

export interface ReviewPolicy {
  readonly approvalsRequired: number;
  readonly requireDistinctReviewer: boolean;
  readonly publishVerified: boolean;
}

export interface ArtifactFacts {
  readonly artifactId: string;
  readonly artifactType: ArtifactType;
  readonly initialAuthority: Authority;
  /** Who asked for the generation (its principal's token id). */
  readonly createdBy: string;
}

export type ReviewAction =
  | { readonly kind: 'approval'; readonly by: string }
  | { readonly kind: 'rejection'; readonly by: string; readonly reason: string }
  | { readonly kind: 'ground-truth'; readonly result: GroundTruthResult }
  | { readonly kind: 'override'; readonly by: string; readonly reason: string }
  | { readonly kind: 'publication' };

export const initialState = (a: ArtifactFacts): ReviewState => ({
  authority: a.initialAuthority,
  decision: 'pending',
  flagged: false,
  approvers: [],
  published: false,
});

const conflict = (message: string, details: Record<string, unknown> = {}): AttestryError =>
  new AttestryError('E_CONFLICT', message, { details });

/** Why publishing would be refused now, or null when it may go ahead. */
export function publicationBlocker(s: ReviewState, a: ArtifactFacts, p: ReviewPolicy): string | null {
  if (a.artifactType !== 'vex_draft') return `${a.artifactId} is a ${a.artifactType}; only a vex_draft is published as VEX`;
  if (s.decision === 'rejected') return `${a.artifactId} was rejected; a rejected draft is never published`;
  if (s.flagged)
    return `ground truth disagrees with ${a.artifactId}; a reviewer must override it with a reason (POST /api/v1/review/${a.artifactId}/override) before it is published`;
  if (s.authority === 'human-approved') return null;
  if (s.authority === 'ai-verified' && p.publishVerified) return null;
  return `${a.artifactId} needs human approval before it is published: ${s.approvers.length} of ${p.approvalsRequired} approval(s)${
    s.authority === 'ai-verified' ? ' (it is ai-verified, and advisoryAi.review.publishVerified is off)' : ''
  }`;
}

function undecided(s: ReviewState, a: ArtifactFacts, what: string): void {
  if (s.decision === 'rejected') throw conflict(`${a.artifactId} was rejected; it cannot be ${what}`, { decision: s.decision });
  if (s.decision === 'approved')
    throw conflict(`${a.artifactId} is already decided (human-approved); it cannot be ${what}`, { decision: s.decision });
}

const requireReason = (reason: string, what: string): void => {
  if (reason.trim().length === 0) throw new AttestryError('E_INVALID_INPUT', `${what} needs a reason: say why`);
};

/** Whether a ground-truth check may run at all (asked before the verdict is looked up). */
export function assertCheckable(s: ReviewState, a: ArtifactFacts): void {
  if (a.artifactType !== 'vex_draft')
    throw new AttestryError('E_INVALID_INPUT', `${a.artifactId} is a ${a.artifactType}; ground truth checks a vex_draft's claim`);
  if (s.decision === 'rejected') throw conflict(`${a.artifactId} was rejected; there is nothing left to verify`);
  if (s.published) throw conflict(`${a.artifactId} is already published`);
}

/** The state after `action`, or the refusal (E_CONFLICT 409, E_FORBIDDEN 403, E_INVALID_INPUT 400). */
export function nextState(s: ReviewState, action: ReviewAction, a: ArtifactFacts, p: ReviewPolicy): ReviewState {
  switch (action.kind) {
    case 'approval': {
      undecided(s, a, 'approved again');
      if (p.requireDistinctReviewer && action.by === a.createdBy)
        throw new AttestryError(
          'E_FORBIDDEN',
          `${action.by} asked for ${a.artifactId}; advisoryAi.review.requireDistinctReviewer lets another reviewer approve it`,
        );
      if (s.approvers.includes(action.by))
        throw conflict(
          `${action.by} already approved ${a.artifactId} (${s.approvers.length} of ${p.approvalsRequired}); another reviewer must approve`,
        );
      const approvers = [...s.approvers, action.by];
      const done = approvers.length >= p.approvalsRequired;
      return { ...s, approvers, decision: done ? 'approved' : 'pending', authority: done ? 'human-approved' : s.authority };
    }
    case 'rejection':
      requireReason(action.reason, 'a rejection');
      undecided(s, a, 'rejected');
      return { ...s, decision: 'rejected' };
    case 'ground-truth': {
      assertCheckable(s, a);
      const outcome = action.result.outcome;
      if (outcome === 'agrees') return { ...s, flagged: false, authority: s.authority === 'human-approved' ? s.authority : 'ai-verified' };
      if (outcome === 'disagrees')
        return { ...s, flagged: true, authority: s.authority === 'ai-verified' ? a.initialAuthority : s.authority };
      return s;
    }
    case 'override':
      requireReason(action.reason, 'an override');
      if (s.decision === 'rejected') throw conflict(`${a.artifactId} was rejected; there is nothing to override`);
      if (!s.flagged) throw conflict(`${a.artifactId} is not flagged by ground truth; there is nothing to override`);
      return { ...s, flagged: false };
    case 'publication': {
      if (s.published) throw conflict(`${a.artifactId} is already published`);
      const blocker = publicationBlocker(s, a, p);
      if (blocker !== null)
        throw conflict(blocker, { authority: s.authority, approvals: s.approvers.length, required: p.approvalsRequired });
      return { ...s, published: true };
    }
  }
}

export const TRANSITION_OF: Readonly<Record<ReviewAction['kind'], TransitionKind>> = {
  approval: 'approval',
  rejection: 'rejection',
  'ground-truth': 'ground-truth',
  override: 'override',
  publication: 'publication',
};
