/** What the AI use cases need from the open app (built in src/app/ai-module.ts). */
import type { AttestryConfig } from '../core/config.js';
import type { Clock, IdSource } from '../core/ids.js';
import type { Signer, Verifier } from '../crypto/signer.js';
import type { EvidenceLocker } from '../evidence/locker.js';
import type { KindRegistry } from '../kinds/registry.js';
import type { BlobStore } from '../store/blob/blob-store.js';
import type { AiRepo } from '../store/db/ai-repo.js';
import type { BackendPool } from './backends.js';

export interface AiDeps {
  readonly repo: AiRepo;
  readonly locker: EvidenceLocker;
  readonly blobs: BlobStore;
  readonly kinds: KindRegistry;
  /** The AI signing key `advisoryAi.attestations.keyId` (created with `cryptoScheme` on first start). */
  readonly signer: () => Signer;
  /** A keyring key by id, as a verifier (undefined when the keyring has no such key). */
  readonly verifierFor: (keyId: string) => Verifier | undefined;
  /** Verifies a locker record's log inclusion offline (its exported bundle against the log key); undefined when the log is off. */
  readonly logProof?:
    | ((recordId: string, tenant: string, envelopeJson: unknown) => Promise<{ ok: boolean; logIndex: number | null; message: string }>)
    | undefined;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly config: AttestryConfig['advisoryAi'];
  readonly pool: BackendPool;
}
