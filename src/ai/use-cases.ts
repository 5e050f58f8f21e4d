/**
 * What the AI domain offers the CLI, the API and the tests (issue 16). The
 * same use cases serve all three; routes and commands only adapt them.
 */
import type { Principal } from '../authz/principal.js';
import type { Digest } from '../core/digest.js';
import type { DsseEnvelope } from '../crypto/dsse.js';
import type { Statement } from '../crypto/intoto.js';
import type { BackendSpec } from './backend.js';
import type {
  AiArtifactPredicate,
  ArtifactType,
  AuditRecord,
  Authority,
  ContextDocument,
  Finding,
  GenerationParameters,
  ReplayManifest,
  ReplayResult,
} from './types.js';

/** A context document as a caller gives it (its digest is computed). */
export interface ContextInput {
  readonly name: string;
  readonly mediaType?: string | undefined;
  readonly content: string;
}

export interface ExplainRequest {
  readonly tenant?: string | undefined;
  readonly finding: Finding;
  readonly context?: readonly ContextInput[] | undefined;
  /** Default `explanation`. */
  readonly artifactType?: ArtifactType | undefined;
  /** Overrides of `advisoryAi.inference.local.*` (temperature, seed, maxTokens, topK, topP). */
  readonly parameters?: Partial<GenerationParameters> | undefined;
  /** Which backend; default the configured one. */
  readonly backend?: BackendSpec | undefined;
  /** Default the shipped current version of the artifact type's template. */
  readonly templateVersion?: string | undefined;
  /** Seed 002 `options.generateAttestation` (default true) and `signAttestation` (default `advisoryAi.attestations.sign`). */
  readonly generateAttestation?: boolean | undefined;
  readonly signAttestation?: boolean | undefined;
}

export interface ExplainResult {
  readonly artifactId: string;
  readonly artifactType: ArtifactType;
  readonly authority: Authority;
  /** The generated text (seed 002 response `explanation`). */
  readonly output: string;
  readonly tokenCount: number;
  readonly statement: Statement<AiArtifactPredicate>;
  /** Null when `signAttestation` is false: then no `.dsse.json` is written; the statement and manifest are stored and the audit record (signed by the service) covers their digests. */
  readonly envelope: DsseEnvelope | null;
  readonly keyId: string | null;
  readonly manifest: ReplayManifest;
  readonly replayManifestId: string;
  /** Blob keys in the locker (seed 002 layout under the tenant). */
  readonly keys: { readonly statement: string; readonly envelope: string | null; readonly manifest: string };
  /** The locker record id (the ULID inside the artifact id). */
  readonly recordId: string;
  readonly logIndex: number | null;
  readonly generationMs: number;
}

/** One named check of a verification; `ok: null` when it did not apply (e.g. replay not asked). */
export interface AiCheck {
  readonly name:
    | 'signature'
    | 'predicate-schema'
    | 'manifest-hash'
    | 'manifest-binding'
    | 'prompt-hashes'
    | 'context-hashes'
    | 'output-hash'
    | 'log-inclusion'
    | 'replay';
  readonly ok: boolean | null;
  readonly message: string;
}

export interface AttestationVerification {
  readonly valid: boolean;
  readonly artifactId: string | null;
  readonly keyId: string | null;
  readonly checks: readonly AiCheck[];
  /** The first failed check's name, when invalid. */
  readonly failedCheck: AiCheck['name'] | null;
  readonly replay?: ReplayResult | undefined;
}

export interface VerifyRequest {
  readonly tenant?: string | undefined;
  /** The DSSE envelope (parsed JSON, not trusted). */
  readonly attestation: unknown;
  /** The replay manifest; default the one stored for the artifact. */
  readonly manifest?: unknown;
  /** A public key PEM to verify with instead of the keyring. */
  readonly publicKeyPem?: string | undefined;
  readonly verifySignature?: boolean | undefined;
  readonly verifyReplay?: boolean | undefined;
  /** Whether a missing log entry fails (default true when the artifact is stored here). */
  readonly requireLogged?: boolean | undefined;
  readonly backend?: BackendSpec | undefined;
}

export interface ReplayOverrides {
  readonly backend?: BackendSpec | undefined;
  readonly parameters?: Partial<GenerationParameters> | undefined;
  /** Render with this template version instead of the manifest's. */
  readonly templateVersion?: string | undefined;
  /** Replace the context pack (each document hashed and compared). */
  readonly context?: readonly ContextInput[] | undefined;
}

export interface ReplayRequest {
  readonly tenant?: string | undefined;
  /** A stored manifest by id (`replay-YYYYMMDD-…`), or the manifest itself. */
  readonly manifestId?: string | undefined;
  readonly manifest?: unknown;
  readonly overrides?: ReplayOverrides | undefined;
  /** Default true: compare and report divergence details. */
  readonly detectDivergence?: boolean | undefined;
}

export interface StoredAttestation {
  readonly artifactId: string;
  readonly tenant: string;
  readonly authority: Authority;
  readonly statement: Statement<AiArtifactPredicate>;
  readonly envelope: DsseEnvelope | null;
  readonly manifest: ReplayManifest;
  readonly logIndex: number | null;
  readonly audit: readonly StoredAuditRecord[];
}

export interface StoredAuditRecord extends AuditRecord {
  readonly digest: Digest;
  readonly recordId: string;
  readonly logIndex: number | null;
}

export interface AuditQuery {
  readonly tenant?: string | undefined;
  readonly artifactId?: string | undefined;
  readonly since?: string | undefined;
  readonly limit?: number | undefined;
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly tenant: string;
  readonly length: number;
  readonly headDigest: Digest | null;
  readonly headLogIndex: number | null;
  /** Each problem found, naming the sequence number (e.g. "record 7: previousDigest does not match record 6"). */
  readonly problems: readonly string[];
  readonly checks: readonly {
    readonly name: 'chain' | 'signatures' | 'head-log-inclusion';
    readonly ok: boolean;
    readonly message: string;
  }[];
}

export interface AiUseCases {
  explain(principal: Principal, request: ExplainRequest): Promise<ExplainResult>;
  verify(principal: Principal, request: VerifyRequest): Promise<AttestationVerification>;
  replay(principal: Principal, request: ReplayRequest): Promise<ReplayResult>;
  attestation(principal: Principal, artifactId: string, tenant?: string): Promise<StoredAttestation>;
  audit(principal: Principal, query: AuditQuery): Promise<readonly StoredAuditRecord[]>;
  verifyAudit(principal: Principal, tenant?: string): Promise<AuditVerification>;
}

export type { ContextDocument };
