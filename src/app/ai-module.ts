import { AiService } from '../ai/service.js';
import { BackendPool } from '../ai/backends.js';
import { AiRepo } from '../store/db/ai-repo.js';
import { aiServicePrincipal } from '../ai/audit.js';
import { parseEnvelope } from '../crypto/dsse.js';
import { parseKeyAlgorithm } from '../crypto/keys.js';
import { verifierFromPem, type Verifier } from '../crypto/signer.js';
import { verifyLogBundle } from '../tlog/bundle.js';
import type { AppCore } from './open-app.js';
import type { AppModule } from './modules.js';

const sameEnvelope = (a: unknown, b: unknown): boolean => {
  const x = parseEnvelope(a);
  const y = parseEnvelope(b);
  return (
    x.payload === y.payload &&
    x.payloadType === y.payloadType &&
    JSON.stringify(x.signatures.map((s) => s.sig)) === JSON.stringify(y.signatures.map((s) => s.sig))
  );
};

/** The AI use cases over the open app: the AI key `advisoryAi.attestations.keyId`, the locker, the log. */
export function aiService(app: AppCore, pool = new BackendPool()): AiService {
  const cfg = app.config.advisoryAi;
  const keyId = cfg.attestations.keyId;
  // First start (or a new keyId) creates the key with the configured scheme.
  app.keyring.ensure(keyId, parseKeyAlgorithm(cfg.attestations.cryptoScheme), 'advisoryAi.attestations.cryptoScheme');
  const verifiers = new Map<string, Verifier>();
  return new AiService({
    repo: new AiRepo(app.index.db),
    locker: app.locker,
    blobs: app.blobs,
    kinds: app.kinds,
    signer: () => app.keyring.signer(keyId),
    verifierFor: (id) => {
      const hit = verifiers.get(id);
      if (hit !== undefined) return hit;
      try {
        const v = verifierFromPem(app.keyring.get(id).publicKeyPem, id);
        verifiers.set(id, v);
        return v;
      } catch {
        return undefined;
      }
    },
    logProof: app.tlog.enabled
      ? async (recordId, tenant, envelopeJson) => {
          try {
            const principal = aiServicePrincipal(tenant);
            if (envelopeJson !== undefined) {
              const { bytes } = await app.locker.get(principal, recordId);
              if (!sameEnvelope(JSON.parse(bytes.toString('utf8')), envelopeJson))
                return {
                  ok: false,
                  logIndex: null,
                  message: `this envelope is not the one logged for record ${recordId} (payload or signature differs)`,
                };
            }
            const bundle = await app.locker.exportBundle(principal, recordId);
            const v = verifyLogBundle(bundle, { logKey: app.tlog.noteKey });
            return {
              ok: true,
              logIndex: v.logIndex,
              message: `entry ${v.logIndex} of ${v.origin} is included in its checkpoint (tree size ${v.treeSize})`,
            };
          } catch (e) {
            return { ok: false, logIndex: null, message: `log inclusion does not verify: ${(e as Error).message}` };
          }
        }
      : undefined,
    clock: app.clock,
    ids: app.ids,
    config: cfg,
    pool,
  });
}

/** Seed 002: AI artifact attestations, replay and the audit trail (docs/ai.md). */
export const aiModule: AppModule<AiService> = {
  name: 'ai',
  register: (app) => aiService(app),
  close: (service) => service.close(),
};
