import type { SignedContent } from './classify.js';
import type { CandidateKey } from './trust.js';

/** One signature check sent to a verify worker. */
export interface VerifyRequest {
  readonly id: number;
  readonly content: SignedContent;
  readonly keyHint: string | undefined;
  readonly candidates: readonly CandidateKey[];
  readonly withLogEntry: boolean;
}

export type VerifyReply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly keyId: string;
      readonly logEntry?: Uint8Array | undefined;
      readonly timestamp?: Uint8Array | undefined;
    }
  | {
      readonly id: number;
      readonly ok: false;
      readonly code: string;
      readonly message: string;
      readonly details?: Record<string, unknown>;
    };
