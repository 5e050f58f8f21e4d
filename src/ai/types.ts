/**
 * The AI domain's vocabulary (seed 002, docs/ai.md): artifact types and their
 * authority classes, the artifact predicate, the replay manifest with the
 * pins that change output, the divergence result and the audit record.
 * Field names are the seed's; what attestry adds is marked as such.
 */
import type { Digest } from '../core/digest.js';
import type { JsonValue } from '../core/canonical-json.js';
import type { VexJustification, VexStatus } from './vex-types.js';

/** The in-toto predicate type of AI artifact attestations (seed 002). */
export const AI_PREDICATE_TYPE = 'https://stellaops.org/attestation/ai-artifact/v1';
/** DSSE payload type of the signed audit records attestry adds (one per operation). */
export { AI_PAYLOAD_TYPE, AI_AUDIT_RECORD_PAYLOAD_TYPE as AI_AUDIT_PAYLOAD_TYPE } from './kinds.js';
export const REPLAY_MANIFEST_VERSION = '1.0';

export const ARTIFACT_TYPES = ['explanation', 'remediation', 'vex_draft', 'policy_draft', 'triage_suggestion'] as const;
export type ArtifactType = (typeof ARTIFACT_TYPES)[number];

export const AUTHORITIES = ['ai-generated', 'ai-draft-requires-review', 'ai-suggestion', 'ai-verified', 'human-approved'] as const;
export type Authority = (typeof AUTHORITIES)[number];

/** Seed 002 "Artifact Types": the authority each type starts with. */
export const INITIAL_AUTHORITY: Readonly<Record<ArtifactType, Authority>> = {
  explanation: 'ai-generated',
  remediation: 'ai-generated',
  vex_draft: 'ai-draft-requires-review',
  policy_draft: 'ai-draft-requires-review',
  triage_suggestion: 'ai-suggestion',
};

/** What the model is asked about: a scanner finding. `id`, `cve`, `purl`, `description` are required. */
export interface Finding {
  readonly id: string;
  readonly cve: string;
  readonly purl: string;
  /** The package version; taken from the PURL when absent. */
  readonly version?: string | undefined;
  readonly description: string;
  readonly severity?: string | undefined;
  /** Free-form evidence (scanner output, reachability answer, …), rendered as canonical JSON. */
  readonly evidence?: JsonValue | undefined;
  /** The scanned artifact's digest, when the finding names one (seed 002 request `artifactDigest`). */
  readonly artifactDigest?: Digest | undefined;
  /** The vulnerable function (a symbol id as the callgraphs name it), when the scanner knows it (issue 17). */
  readonly symbol?: string | undefined;
  /** The VEX status the requester proposes for a vex_draft; the model's own `Status:` line wins (docs/review.md "The VEX claim of a draft"). */
  readonly vex?: { readonly status: VexStatus; readonly justification?: VexJustification | undefined } | undefined;
}

/** One document of the context pack. `digest` = sha256 of `content`'s UTF-8 bytes. The pack is sorted by digest. */
export interface ContextDocument {
  readonly name: string;
  readonly mediaType: string;
  readonly content: string;
  readonly digest: Digest;
}

/** Decoding parameters (seed 002 `parameters`; `topP` is in the manifest's example). */
export interface GenerationParameters {
  readonly temperature: number;
  readonly seed: number | null;
  readonly maxTokens: number;
  readonly topK: number;
  readonly topP: number;
}

/**
 * What attestry pins beyond the seed's fields (issue 16 item 3), so a replay
 * can say which setting differs. Null where a backend cannot say.
 */
export interface EnginePins {
  /** `node-llama-cpp` or `openai-compatible`. */
  readonly engine: string;
  readonly engineVersion: string;
  /** `cpu`, `cuda`, `metal`, `vulkan`, or `remote` for an HTTP server. */
  readonly backend: string;
  /** Which GPU, when one is used; null on CPU or when unknown. */
  readonly gpu: string | null;
  readonly threads: number | null;
  readonly batchSize: number | null;
  readonly contextSize: number | null;
  /** Whether a prompt (KV) cache was reused; attestry always generates with it off. */
  readonly promptCache: boolean;
  /** `sha256:` of the tokenizer's identity (vocabulary, merges, special tokens), when known. */
  readonly tokenizerDigest: Digest | null;
  /** `sha256:` of the chat template text the engine applied, or null when prompts are sent raw. */
  readonly chatTemplateDigest: Digest | null;
  /** For a remote server: the model id and server version it reported. */
  readonly remote: { readonly endpoint: string; readonly modelId: string; readonly version: string | null } | null;
}

/** The AI artifact predicate: every field of the seed's example; `parameters.topP` and `finding` are attestry's. */
export interface AiArtifactPredicate {
  readonly artifactId: string;
  readonly artifactType: ArtifactType;
  readonly authority: Authority;
  readonly generatedAt: string;
  readonly model: { readonly modelId: string; readonly weightsDigest: Digest; readonly promptTemplateVersion: string };
  readonly inputs: { readonly systemPromptHash: Digest; readonly userPromptHash: Digest; readonly contextHashes: readonly Digest[] };
  readonly parameters: GenerationParameters;
  readonly output: { readonly contentHash: Digest; readonly tokenCount: number };
  readonly replayManifest: { readonly manifestId: string; readonly manifestHash: Digest };
  /** What was asked about (id, CVE, PURL): attestry's addition so a reader need not open the manifest. */
  readonly finding: { readonly id: string; readonly cve: string; readonly purl: string };
}

/** The replay manifest (seed 002 "Replay Manifest") plus `engine`, `model.templateDigest`, `finding` and `manifestHash`. */
export interface ReplayManifest {
  readonly manifestVersion: string;
  readonly manifestId: string;
  readonly artifactId: string;
  readonly artifactType: ArtifactType;
  readonly model: {
    readonly modelId: string;
    readonly weightsDigest: Digest;
    readonly promptTemplateVersion: string;
    /** sha256 of the template file's bytes. */
    readonly templateDigest: Digest;
  };
  readonly prompts: {
    readonly systemPrompt: string;
    readonly userPrompt: string;
    readonly systemPromptHash: Digest;
    readonly userPromptHash: Digest;
  };
  readonly context: { readonly contextPack: readonly ContextDocument[]; readonly contextHashes: readonly Digest[] };
  readonly parameters: GenerationParameters;
  readonly output: { readonly content: string; readonly contentHash: Digest; readonly tokenCount: number };
  readonly metadata: { readonly generatedAt: string; readonly replayable: boolean; readonly deterministicSettings: boolean };
  readonly finding: Finding;
  readonly engine: EnginePins;
  /** `sha256:` of the RFC 8785 form of this manifest without `manifestHash`. */
  readonly manifestHash: Digest;
}

/** One difference between the original and the replayed output (seed 002 "Divergence Detection"). */
export interface DivergenceDetail {
  readonly type: 'content_divergence' | 'length_divergence' | 'token_count_divergence';
  readonly description: string;
  /** Character offset (UTF-16 code units) of the first difference in the original. */
  readonly position: number;
  readonly originalSnippet: string;
  readonly replayedSnippet: string;
}

/** A pinned input or setting that differs between the manifest and the replay (named before generating). */
export interface ReplayCause {
  /** Stable name: `weights`, `temperature`, `seed`, `template-version`, `template`, `context`, `prompts`, `engine`, `engine-version`, `backend`, `threads`, `batch-size`, `context-size`, `prompt-cache`, `tokenizer`, `chat-template`, `remote-model`, `max-tokens`, `top-k`, `top-p`, `manifest-hash`, `output-hash`. */
  readonly cause: string;
  /** The manifest field it concerns, e.g. `model.weightsDigest`. */
  readonly field: string;
  readonly expected: JsonValue;
  readonly actual: JsonValue;
  /** Seed 002 "Common Divergence Causes": detection and resolution, in words. */
  readonly description: string;
  readonly resolution: string;
}

export type ReplayStatus = 'identical' | 'semantically-equivalent' | 'divergent' | 'failed';

/** The divergence result: the seed's fields plus `status`, `causes` and the ids. */
export interface ReplayResult {
  readonly status: ReplayStatus;
  readonly identical: boolean;
  readonly diverged: boolean;
  /** 1 − normalised token edit distance (docs/ai.md); 1 when identical, 0 when failed. */
  readonly similarityScore: number;
  readonly originalHash: Digest;
  readonly replayedHash: Digest | null;
  readonly details: readonly DivergenceDetail[];
  readonly causes: readonly ReplayCause[];
  readonly artifactId: string;
  readonly manifestId: string;
  /** The replayed text (absent when generation failed). */
  readonly replayedOutput?: string | undefined;
  readonly replayedTokenCount?: number | undefined;
  /** Why generation did not run or failed, when `status` is `failed`. */
  readonly error?: { readonly code: string; readonly message: string } | undefined;
  /** How long generation took, in milliseconds. */
  readonly generationMs?: number | undefined;
}

export const AUDIT_OPERATIONS = ['ai_generation', 'ai_verification', 'ai_replay', 'ai_review', 'vex_publication'] as const;
export type AuditOperation = (typeof AUDIT_OPERATIONS)[number];

/** One audit record (seed 002 "Audit Trail") plus principal, tenant and the chain fields. */
export interface AuditRecord {
  readonly timestamp: string;
  readonly operation: AuditOperation;
  readonly artifactId: string;
  readonly artifactType: ArtifactType;
  readonly modelId: string;
  readonly authority: Authority;
  /** The acting principal's token id (`system` for the service itself). */
  readonly user: string;
  readonly role: string;
  readonly tenant: string;
  readonly inputHashes: readonly Digest[];
  readonly outputHash: Digest;
  readonly signed: boolean;
  readonly replayable: boolean;
  /** What the operation found: `valid`/`invalid` for a verification, the replay status for a replay. */
  readonly outcome: string | null;
  /** 1-based position in the tenant's chain. */
  readonly sequence: number;
  /** `digest` of the record before this one in the tenant's chain; null for the first. */
  readonly previousDigest: Digest | null;
}
