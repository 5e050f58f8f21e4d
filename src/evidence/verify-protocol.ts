import type { SignedContent } from './classify.js';
import type { CandidateKey } from './trust.js';

/** One signature check sent to a verify worker (carried by core/worker-rpc). */
export interface VerifyRequest {
  readonly content: SignedContent;
  readonly keyHint: string | undefined;
  readonly candidates: readonly CandidateKey[];
  readonly withLogEntry: boolean;
}

/** A VerifiedUpload after structured clone: Buffers arrive as Uint8Arrays. */
export interface VerifyResult {
  readonly keyId: string;
  readonly logEntry?: Uint8Array | undefined;
  readonly timestamp?: Uint8Array | undefined;
}
