/** `attestry review list|show|approve|reject|ground-truth|override`: human review of AI drafts (issue 17). */
import { Command, Option } from 'commander';
import type { DecisionResult, ReviewDetail, ReviewItem } from '../../ai/review-use-cases.js';
import { ARTIFACT_TYPES, type ArtifactType } from '../../ai/types.js';
import { withAiServerOptions } from '../ai-local.js';
import { parseIntOption } from '../files.js';
import { emit, safeText } from '../output.js';
import { withReview, withReviewerOption, type ReviewFlags } from '../review-local.js';
import { run } from '../run.js';
import { withServiceOptions } from '../service-options.js';

/** A review command: local (--data-dir) or remote (--server), one tenant, --json. */
export function reviewBase(name: string, description: string): Command {
  return withAiServerOptions(withServiceOptions(new Command(name).description(description))).option(
    '--tenant <id>',
    "tenant (local default: default; with --server: the token's only tenant)",
  );
}

const approvals = (i: ReviewItem): string => `${i.approvals.count} of ${i.approvals.required}`;

function itemLine(i: ReviewItem): string {
  const marks = [i.flagged ? 'FLAGGED' : '', i.published ? 'published' : ''].filter((m) => m !== '').join(', ');
  return `${i.artifactId}  ${i.artifactType}  ${i.authority}  ${i.decision} (${approvals(i)})${marks === '' ? '' : `  ${marks}`}  ${i.generatedAt}  by ${safeText(i.createdBy)}`;
}

function detailLines(d: ReviewDetail): string {
  const c = d.claim;
  return [
    itemLine(d),
    `  model        ${safeText(d.modelId)} ${d.weightsDigest}, template ${safeText(d.templateVersion)}`,
    `  finding      ${safeText(d.finding.id)}: ${safeText(d.finding.cve)} in ${safeText(d.finding.purl)}`,
    ...(c === null
      ? []
      : [
          `  claim        ${c.status}${c.justification === null ? '' : ` (${c.justification})`} from the ${c.source}${c.symbol === null ? '' : `, symbol ${safeText(c.symbol)}`}`,
        ]),
    `  replay       ${safeText(d.replayStatus ?? 'never replayed')}`,
    ...(d.groundTruth === null ? [] : [`  ground truth ${d.groundTruth.outcome}: ${safeText(d.groundTruth.message)}`]),
    ...(d.approvals.reviewers.length === 0 ? [] : [`  approved by  ${d.approvals.reviewers.map((r) => safeText(r)).join(', ')}`]),
    ...d.transitions.map(
      (t) =>
        `  ${t.sequence}. ${t.kind} by ${safeText(t.principal.tokenId)} (${t.principal.role}) ${t.timestamp}: ${t.fromAuthority} → ${t.toAuthority}${t.reason === null ? '' : `; reason: ${safeText(t.reason)}`}${t.comment === null ? '' : `; comment: ${safeText(t.comment)}`}`,
    ),
    '  output:',
    safeText(d.output.trim()),
  ].join('\n');
}

/** The one line a decision prints: what happened, to what, and where the draft stands now. */
export function decisionLine(r: DecisionResult): string {
  const { item: i, transition: t } = r;
  switch (t.kind) {
    case 'approval':
      return `approved ${i.artifactId} (${approvals(i)}): ${i.authority}`;
    case 'rejection':
      return `rejected ${i.artifactId}: ${safeText(t.reason ?? '')}`;
    case 'ground-truth':
      return `ground truth for ${i.artifactId}: ${t.groundTruth?.outcome ?? 'recorded'} (${safeText(t.groundTruth?.message ?? '')}): ${i.authority}${i.flagged ? ', FLAGGED' : ''}`;
    case 'override':
      return `override on ${i.artifactId}: the ground-truth flag is cleared (${i.authority}, ${approvals(i)} approvals)`;
    case 'publication':
      return `published ${i.artifactId}`;
  }
}

const decided = (flags: ReviewFlags, r: DecisionResult): void => emit(flags, r, () => decisionLine(r));

function listCommand(): Command {
  return reviewBase('list', 'list AI drafts awaiting review (or approved, rejected, all), newest first')
    .addOption(new Option('--type <type>', 'only this artifact type').choices([...ARTIFACT_TYPES]))
    .addOption(new Option('--state <state>', 'which drafts').choices(['pending', 'approved', 'rejected', 'all']).default('pending'))
    .option('--min-age <seconds>', 'only drafts generated at least this many seconds ago', parseIntOption('--min-age'))
    .option('--limit <n>', 'at most this many (default 100)', parseIntOption('--limit'))
    .action(
      (flags: ReviewFlags & { type?: ArtifactType; state: 'pending' | 'approved' | 'rejected' | 'all'; minAge?: number; limit?: number }) =>
        run(flags, () =>
          withReview(flags, async (l) => {
            const items = await l.review.list(l.principal, {
              tenant: l.tenant,
              type: flags.type,
              state: flags.state,
              minAgeSeconds: flags.minAge,
              limit: flags.limit,
            });
            emit(flags, { items, count: items.length }, () =>
              items.length === 0 ? `no ${flags.state === 'all' ? '' : `${flags.state} `}drafts` : items.map(itemLine).join('\n'),
            );
          }),
        ),
    );
}

function showCommand(): Command {
  return reviewBase(
    'show',
    'show a draft as a reviewer sees it: finding, claim, output, replay status, ground truth and every signed transition',
  )
    .argument('<artifactId>', 'ai-artifact-YYYYMMDD-<ULID>')
    .action((artifactId: string, flags: ReviewFlags) =>
      run(flags, () =>
        withReview(flags, async (l) => {
          const d = await l.review.show(l.principal, artifactId, l.tenant);
          emit(flags, d, () => detailLines(d));
        }),
      ),
    );
}

function approveCommand(): Command {
  return withReviewerOption(
    reviewBase('approve', 'approve a draft (a signed, logged transition); enough distinct reviewers make it human-approved')
      .argument('<artifactId>', 'ai-artifact-YYYYMMDD-<ULID>')
      .option('--comment <text>', 'what you checked; recorded in the signed transition'),
  ).action((artifactId: string, flags: ReviewFlags & { comment?: string }) =>
    run(flags, () =>
      withReview(flags, async (l) =>
        decided(flags, await l.review.approve(l.principal, artifactId, { comment: flags.comment, tenant: l.tenant })),
      ),
    ),
  );
}

function reasonCommand(name: 'reject' | 'override', description: string): Command {
  return withReviewerOption(
    reviewBase(name, description)
      .argument('<artifactId>', 'ai-artifact-YYYYMMDD-<ULID>')
      .requiredOption('--reason <text>', 'why (required)'),
  ).action((artifactId: string, flags: ReviewFlags & { reason: string }) =>
    run(flags, () =>
      withReview(flags, async (l) => {
        const input = { reason: flags.reason, tenant: l.tenant };
        decided(
          flags,
          name === 'reject'
            ? await l.review.reject(l.principal, artifactId, input)
            : await l.review.override(l.principal, artifactId, input),
        );
      }),
    ),
  );
}

function groundTruthCommand(): Command {
  return reviewBase(
    'ground-truth',
    "check a vex_draft's claim against the latest signed reachability verdict: agrees → ai-verified, disagrees → flagged until overridden",
  )
    .argument('<artifactId>', 'ai-artifact-YYYYMMDD-<ULID>')
    .requiredOption('--callgraph <id>', 'the callgraph whose verdict is cited')
    .option('--symbol <symbol>', "the symbol (default the finding's)")
    .action((artifactId: string, flags: ReviewFlags & { callgraph: string; symbol?: string }) =>
      run(flags, () =>
        withReview(flags, async (l) =>
          decided(
            flags,
            await l.review.groundTruth(l.principal, artifactId, { callgraphId: flags.callgraph, symbol: flags.symbol, tenant: l.tenant }),
          ),
        ),
      ),
    );
}

export function reviewCommand(): Command {
  return new Command('review')
    .description('human review of AI drafts (issue 17): every decision is a signed, logged transition; nothing unapproved is published')
    .addCommand(listCommand())
    .addCommand(showCommand())
    .addCommand(approveCommand())
    .addCommand(reasonCommand('reject', 'reject a draft, for ever (a reason is required); a rejected draft is never published'))
    .addCommand(groundTruthCommand())
    .addCommand(reasonCommand('override', 'clear a ground-truth flag on a vex_draft, saying why; it still needs approval to be published'));
}
