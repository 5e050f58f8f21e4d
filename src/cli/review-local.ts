/**
 * The review and VEX commands' two modes, as the AI commands have them: in
 * process on `--data-dir`, acting as the `reviewer` role for one tenant with
 * token id `cli:<--reviewer NAME or $USER>`, or on a service (`--server`),
 * where the token decides who acts.
 */
import type { Command } from 'commander';
import { reviewModule } from '../app/review-module.js';
import type { ReviewUseCases } from '../ai/review-use-cases.js';
import type { Principal } from '../authz/principal.js';
import { AttestryError } from '../core/errors.js';
import { parseTenantId } from '../core/tenant.js';
import { withLocalApp, type AiFlags } from './ai-local.js';
import { RemoteReview } from './review-remote.js';

export interface ReviewFlags extends AiFlags {
  reviewer?: string;
}

export interface LocalReview {
  readonly review: ReviewUseCases;
  readonly principal: Principal;
  /** Undefined with --server and no --tenant: the server takes the token's only tenant. */
  readonly tenant: string | undefined;
}

/** A reviewer name becomes part of a signed record's token id: short, printable, no spaces. */
const REVIEWER_RE = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;

/** `--reviewer NAME`: who decides in local mode (two local reviewers are two names). */
export function withReviewerOption(cmd: Command): Command {
  return cmd.option(
    '--reviewer <name>',
    'local mode: decide as reviewer cli:NAME (default cli:$USER); a second approval needs a second name. With --server the token is the reviewer',
  );
}

export function reviewerId(flags: ReviewFlags): string {
  const name = flags.reviewer ?? process.env['USER'] ?? 'local';
  if (!REVIEWER_RE.test(name))
    throw new AttestryError(
      'E_USAGE',
      `--reviewer: ${JSON.stringify(name.slice(0, 64))} is not a name (letters, digits, . _ @ + -; at most 128)`,
    );
  return `cli:${name}`;
}

/** Runs `body` on the service named by --server, else in-process on the data directory. */
export async function withReview<T>(flags: ReviewFlags, body: (l: LocalReview) => Promise<T>): Promise<T> {
  if (flags.server === undefined) {
    const tokenId = reviewerId(flags);
    return withLocalApp(flags, (app, tenant) =>
      body({ review: app.useCases(reviewModule), principal: { tokenId, role: 'reviewer', tenants: [tenant] }, tenant }),
    );
  }
  if (flags.dataDir !== undefined) throw new AttestryError('E_USAGE', 'give --server or --data-dir, not both');
  if (flags.reviewer !== undefined)
    throw new AttestryError('E_USAGE', '--reviewer is for local mode; with --server the token names the reviewer');
  const review = new RemoteReview({ server: flags.server, token: flags.token, json: flags.json });
  // The server decides who acts: this principal is never sent.
  const principal: Principal = { tokenId: 'remote', role: 'reviewer', tenants: [] };
  return body({ review, principal, tenant: flags.tenant === undefined ? undefined : parseTenantId(flags.tenant) });
}
