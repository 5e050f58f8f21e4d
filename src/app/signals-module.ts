import { createPublicKey } from 'node:crypto';
import { CallgraphService } from '../signals/callgraphs.js';
import { DEFAULT_SIGNALS_LIMITS, type SignalsDeps, type SignalsLimits } from '../signals/deps.js';
import { NO_SIGNALS_EVENTS, type SignalsEvents } from '../signals/events.js';
import { repairBatches } from '../signals/repair.js';
import { RuntimeFactsService } from '../signals/runtime-facts.js';
import { signalsSwitches } from '../signals/switches.js';
import type { SignalsUseCases } from '../signals/types.js';
import type { AppModule } from './modules.js';
import type { AppCore } from './open-app.js';

/**
 * How long a half-written Signals upload may sit before repair finishes or
 * removes it, where another node may still be writing it (PostgreSQL): longer
 * than any upload takes. A SQLite index has one node, so at start every
 * half-written upload is a crashed one.
 */
const REPAIR_AFTER_MS = 15 * 60_000;
const REPAIR_EVERY_MS = 5 * 60_000;

/** The Signals deps over the open app: its index, blobs, locker, kinds and the service key `Signals.Signing.KeyId`. */
export function signalsDeps(
  app: AppCore,
  options: { readonly events?: SignalsEvents | undefined; readonly limits?: Partial<SignalsLimits> | undefined } = {},
): SignalsDeps {
  const keyId = app.signingKey.keyId;
  return {
    db: app.index.db,
    dialect: app.index.driver,
    tenants: app.repos.tenants,
    blobs: app.blobs,
    locker: app.locker,
    kinds: app.kinds,
    signer: app.keyring.signer(keyId),
    signerKeyId: keyId,
    // Manifests signed under an earlier Signals.Signing.KeyId still verify while the keyring holds that key.
    publicKeyOf: (id) => {
      try {
        return createPublicKey(app.keyring.get(id).publicKeyPem);
      } catch {
        return undefined;
      }
    },
    clock: app.clock,
    ids: app.ids,
    config: app.config.Signals,
    switches: signalsSwitches(app.config),
    limits: { ...DEFAULT_SIGNALS_LIMITS, ...(options.limits ?? {}) },
    events: options.events ?? app.signalsEvents ?? NO_SIGNALS_EVENTS,
  };
}

interface SignalsRuntime extends SignalsUseCases {
  /** Finishes or removes uploads a crash interrupted (see REPAIR_AFTER_MS). */
  repair(olderThanMs: number): Promise<void>;
  readonly timer: NodeJS.Timeout | undefined;
}

/** Seed 000: callgraphs with signed manifests, runtime-fact batches with provenance and attestations. */
export const signalsModule: AppModule<SignalsRuntime> = {
  name: 'signals',
  async register(app) {
    const deps = signalsDeps(app);
    const callgraphs = new CallgraphService(deps);
    const facts = new RuntimeFactsService(deps);
    const repair = async (olderThanMs: number): Promise<void> => {
      await callgraphs.repairCallgraphs({ olderThanMs });
      await repairBatches(deps, { olderThanMs });
    };
    const atStart = app.index.driver === 'sqlite' ? 0 : REPAIR_AFTER_MS;
    await repair(atStart);
    // Other nodes' crashes are found later; one node's failure to repair must not stop it serving.
    const timer =
      app.index.driver === 'postgres'
        ? setInterval(() => void repair(REPAIR_AFTER_MS).catch(() => undefined), REPAIR_EVERY_MS).unref()
        : undefined;
    return {
      storeCallgraph: (p, q, body, form) => callgraphs.storeCallgraph(p, q, body, form),
      getCallgraph: (p, id) => callgraphs.getCallgraph(p, id),
      getManifest: (p, id) => callgraphs.getManifest(p, id),
      getManifestEnvelope: (p, id) => callgraphs.getManifestEnvelope(p, id),
      findByPurl: (p, purl, q) => callgraphs.findByPurl(p, purl, q),
      ingestFacts: (p, q, body, form) => facts.ingestFacts(p, q, body, form),
      getBatch: (p, id) => facts.getBatch(p, id),
      getProvenance: (p, id) => facts.getProvenance(p, id),
      getAttestation: (p, id) => facts.getAttestation(p, id),
      streamFacts: (p, q) => facts.streamFacts(p, q),
      repair,
      timer,
    };
  },
  close: async (runtime) => {
    if (runtime.timer !== undefined) clearInterval(runtime.timer);
  },
};
