import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AttestryConfig } from '../core/config.js';
import type { Clock, IdSource } from '../core/ids.js';
import type { Signer } from '../crypto/signer.js';
import type { EvidenceLocker } from '../evidence/locker.js';
import type { KindRegistry } from '../kinds/registry.js';
import type { BlobStore } from '../store/blob/blob-store.js';
import type { Database } from '../store/db/schema.js';
import type { TenantsRepo } from '../store/db/tenants-repo.js';
import type { SignalsEvents } from './events.js';

/** Upper bounds on what a Signals upload may bring (request bodies are read as streams). */
export interface SignalsLimits {
  /** Callgraph body after transfer decoding. */
  readonly maxCallgraphBytes: number;
  readonly maxNodes: number;
  readonly maxEdges: number;
  /** Runtime-fact batch after transfer decoding. */
  readonly maxBatchBytes: number;
  readonly maxFactsPerBatch: number;
  /** One NDJSON line (seed-independent; the issue fixes 64 KiB). */
  readonly maxLineBytes: number;
}

export const DEFAULT_SIGNALS_LIMITS: SignalsLimits = {
  maxCallgraphBytes: 1024 * 1024 * 1024,
  maxNodes: 5_000_000,
  maxEdges: 20_000_000,
  maxBatchBytes: 256 * 1024 * 1024,
  maxFactsPerBatch: 1_000_000,
  maxLineBytes: 64 * 1024,
};

/** Why a Signals step is off now, naming the config key; undefined when it runs. */
export interface SignalsSwitches {
  /** `Signals.CAS.WriteEnabled: false` (or the locker-wide `Evidence.WriteEnabled`). */
  readonly writesOff: string | undefined;
  /** `Signals.Provenance.Enabled` or `SignManifests` off. */
  readonly manifestSigningOff: string | undefined;
  /** `Signals.Provenance.Enabled` or `AttestBatches` off. */
  readonly batchAttestationOff: string | undefined;
  /** `Signals.Provenance.Enabled` off: provenance records carry this as skipReason. */
  readonly provenanceOff: string | undefined;
  /** `Signals.Provenance.RekorEnabled` or `Log.Enabled` off. */
  readonly loggingOff: string | undefined;
}

/** What the Signals use cases run on; built by the app (app/ composes, signals/ never imports app/). */
export interface SignalsDeps {
  readonly db: Kysely<Database>;
  readonly dialect: 'sqlite' | 'postgres';
  readonly tenants: TenantsRepo;
  readonly blobs: BlobStore;
  /** Signed manifests and batch attestations are stored, logged and timestamped as locker records. */
  readonly locker: EvidenceLocker;
  readonly kinds: KindRegistry;
  /** The service key `Signals.Signing.KeyId` (algorithm `Signals.Signing.Algorithm`). */
  readonly signer: Signer;
  readonly signerKeyId: string;
  /**
   * Public keys of earlier Signals signing keys by key id (the app's keyring),
   * so manifests signed before a key change still verify on read; without it
   * only `signer`'s own key is known.
   */
  readonly publicKeyOf?: ((keyId: string) => KeyObject | undefined) | undefined;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly config: AttestryConfig['Signals'];
  readonly switches: SignalsSwitches;
  readonly limits: SignalsLimits;
  readonly events: SignalsEvents;
}
