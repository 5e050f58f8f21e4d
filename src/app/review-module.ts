/**
 * Issue 17: human review of AI drafts and VEX publishing, over the AI
 * module's artifacts and the reachability module's signed verdicts (both
 * registered before it). Review records and published VEX are signed with
 * the AI key `advisoryAi.attestations.keyId`.
 */
import type { Principal } from '../authz/principal.js';
import { AttestryError } from '../core/errors.js';
import { parseEnvelope, verifyEnvelope } from '../crypto/dsse.js';
import { verifierFromPem } from '../crypto/signer.js';
import type { VerdictFacts } from '../ai/ground-truth.js';
import type { ReviewDeps } from '../ai/review-deps.js';
import { ReviewService } from '../ai/review.js';
import type { ReviewUseCases } from '../ai/review-use-cases.js';
import type { ReachabilityUseCases } from '../signals/reach-types.js';
import { ReviewRepo } from '../store/db/review-repo.js';
import { AiRepo } from '../store/db/ai-repo.js';
import { aiModule } from './ai-module.js';
import type { AppCore } from './open-app.js';
import type { AppModule } from './modules.js';
import { reachabilityModule } from './reachability-module.js';

/** Reads verdicts on a review's behalf: the kind's read grant, in the draft's tenant only. */
const verdictReader = (tenant: string): Principal => ({ tokenId: 'ai-review', role: 'policy-engine', tenants: [tenant] });

function verdictLookup(app: AppCore, reach: ReachabilityUseCases): ReviewDeps['verdictFor'] {
  return async (tenant, callgraphId, symbol): Promise<VerdictFacts> => {
    const reader = verdictReader(tenant);
    const history = await reach.history(reader, { tenant, callgraphId, symbol });
    const newest = history.verdicts.at(-1);
    if (newest === undefined)
      throw new AttestryError(
        'E_NOT_FOUND',
        `no signed reachability verdict for ${symbol} in callgraph ${callgraphId}: ask POST /signals/reachability with attest first`,
      );
    if (!history.chainOk)
      throw new AttestryError(
        'E_INTEGRITY',
        `the verdict chain of ${symbol} in callgraph ${callgraphId} does not verify; it cannot be cited`,
      );
    const { predicate, envelope } = await reach.verdict(reader, newest.attestationId);
    const env = parseEnvelope(JSON.parse(envelope.toString('utf8')));
    const keyid = env.signatures[0]?.keyid ?? '';
    const pem = (() => {
      try {
        return app.keyring.get(keyid).publicKeyPem;
      } catch {
        throw new AttestryError(
          'E_SIGNATURE_INVALID',
          `verdict ${newest.attestationId} is signed by ${keyid}, which this keyring does not hold`,
        );
      }
    })();
    verifyEnvelope(env, [verifierFromPem(pem, keyid)]);
    return {
      verdictId: newest.attestationId,
      digest: newest.digest as `sha256:${string}`,
      state: predicate.state,
      evidenceDigest: predicate.evidenceDigest as `sha256:${string}`,
      componentPurl: predicate.componentPurl,
      callgraphId: predicate.callgraphId,
      symbol: predicate.symbol,
    };
  };
}

export const reviewModule: AppModule<ReviewUseCases> = {
  name: 'review',
  register(app, earlier) {
    const ai = earlier.useCases(aiModule);
    const keyId = app.config.advisoryAi.attestations.keyId;
    return new ReviewService({
      ai,
      audit: ai.audit_,
      aiRepo: new AiRepo(app.index.db),
      repo: new ReviewRepo(app.index.db),
      locker: app.locker,
      kinds: app.kinds,
      signer: () => app.keyring.signer(keyId),
      verifierFor: ai.d.verifierFor,
      logProof: ai.d.logProof,
      verdictFor: verdictLookup(app, earlier.useCases(reachabilityModule)),
      clock: app.clock,
      ids: app.ids,
      config: app.config.advisoryAi,
    });
  },
};
