/** What the review use cases need (built in src/app/review-module.ts). */
import type { Principal } from '../authz/principal.js';
import type { AttestryConfig } from '../core/config.js';
import type { Clock, IdSource } from '../core/ids.js';
import type { Signer, Verifier } from '../crypto/signer.js';
import type { EvidenceLocker } from '../evidence/locker.js';
import type { KindRegistry } from '../kinds/registry.js';
import type { AiRepo } from '../store/db/ai-repo.js';
import type { ReviewRepo } from '../store/db/review-repo.js';
import type { AuditTrail } from './audit.js';
import type { VerdictFacts } from './ground-truth.js';
import type { AiUseCases } from './use-cases.js';

export interface ReviewDeps {
  readonly ai: AiUseCases;
  readonly audit: AuditTrail;
  readonly aiRepo: AiRepo;
  readonly repo: ReviewRepo;
  readonly locker: EvidenceLocker;
  readonly kinds: KindRegistry;
  /** The AI key: it signs transitions and published VEX as it signs drafts. */
  readonly signer: () => Signer;
  readonly verifierFor: (keyId: string) => Verifier | undefined;
  /** A locker record's log inclusion, verified offline (undefined when the log is off). */
  readonly logProof?:
    | ((recordId: string, tenant: string, envelopeJson: unknown) => Promise<{ ok: boolean; logIndex: number | null; message: string }>)
    | undefined;
  /**
   * The newest signed reachability verdict of (callgraph, symbol) in a tenant,
   * its chain and signature checked; E_NOT_FOUND when there is none.
   */
  readonly verdictFor: (tenant: string, callgraphId: string, symbol: string) => Promise<VerdictFacts>;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly config: AttestryConfig['advisoryAi'];
}

/** Who writes review records into the locker on a caller's behalf (its grant is the kind's reviewer grant). */
export const reviewWriter = (tenant: string): Principal => ({ tokenId: 'ai-review', role: 'reviewer', tenants: [tenant] });
