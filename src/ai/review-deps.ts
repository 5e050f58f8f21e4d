/** What the review use cases need (built in src/app/review-module.ts). */
import type { Principal } from '../authz/principal.js';
import type { AiRepo } from '../store/db/ai-repo.js';
import type { ReviewRepo } from '../store/db/review-repo.js';
import type { AuditTrail } from './audit.js';
import type { AiDeps } from './deps.js';
import type { VerdictFacts } from './ground-truth.js';
import type { AiUseCases } from './use-cases.js';

/** The AI key signs transitions and published VEX as it signs drafts; the rest is the AI module's. */
export interface ReviewDeps extends Pick<AiDeps, 'locker' | 'kinds' | 'signer' | 'verifierFor' | 'logProof' | 'clock' | 'ids' | 'config'> {
  readonly ai: AiUseCases;
  readonly audit: AuditTrail;
  readonly aiRepo: AiRepo;
  readonly repo: ReviewRepo;
  /**
   * The newest signed reachability verdict of (callgraph, symbol) in a tenant,
   * its chain and signature checked; E_NOT_FOUND when there is none.
   */
  readonly verdictFor: (tenant: string, callgraphId: string, symbol: string) => Promise<VerdictFacts>;
}

/** Who writes review records into the locker on a caller's behalf (its grant is the kind's reviewer grant). */
export const reviewWriter = (tenant: string): Principal => ({ tokenId: 'ai-review', role: 'reviewer', tenants: [tenant] });
