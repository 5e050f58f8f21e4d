/**
 * Generation backends behind one interface: a local GGUF model through
 * node-llama-cpp (backend-llama.ts) and any OpenAI-compatible HTTP server
 * (backend-openai.ts). Both decode greedily with a fixed seed and no prompt
 * cache, and report the pins a replay compares (EnginePins).
 */
import type { Digest } from '../core/digest.js';
import type { EnginePins, GenerationParameters } from './types.js';

export interface GenerationRequest {
  readonly systemPrompt: string;
  readonly userPrompt: string;
  readonly parameters: GenerationParameters;
  readonly signal?: AbortSignal | undefined;
}

export interface GenerationOutput {
  readonly content: string;
  readonly tokenCount: number;
  /** Why generation stopped: `stop` (end of text or a stop sequence), `length` (maxTokens), … */
  readonly finishReason: string;
  readonly durationMs: number;
  /**
   * The pins this generation ran with, when the backend learns them only from the reply (a remote
   * server's `model` and `system_fingerprint`); otherwise `pins()` applies. Per generation, so
   * concurrent generations and a server upgraded in between never mix up versions.
   */
  readonly pins?: EnginePins | undefined;
}

export interface GenerationBackend {
  /** Model id as recorded in the predicate (`model.modelId`): file name without `.gguf`, or the server's model id. */
  readonly modelId: string;
  /** The #3 hashing engine's digest of the model file (a directory model: its OMS root digest); for a remote server, what it reports or the configured one. */
  readonly weightsDigest: Digest;
  /** The settings this backend generates with. */
  pins(): EnginePins;
  generate(request: GenerationRequest): Promise<GenerationOutput>;
  close(): Promise<void>;
}

/** How to open a backend (from config `advisoryAi.inference.*`, or CLI `--model` / `--endpoint`). */
export type BackendSpec =
  | {
      readonly kind: 'local';
      /** A `.gguf` file (or a directory holding exactly one). */
      readonly modelPath: string;
      /** ≤ the machine's cores; default min(2, cores). */
      readonly threads?: number | undefined;
      readonly contextSize?: number | undefined;
      readonly batchSize?: number | undefined;
    }
  | {
      readonly kind: 'remote';
      /** Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8081/v1 */
      readonly endpoint: string;
      /** The model to ask for (`model` field); default: the first of GET /models. */
      readonly model?: string | undefined;
      /** Bearer token, if the server wants one (never logged). */
      readonly apiKey?: string | undefined;
      /** Digest of the weights the server serves, when the operator knows it (recorded as `weightsDigest`). */
      readonly weightsDigest?: Digest | undefined;
      readonly timeoutMs?: number | undefined;
    };

export type OpenBackend = (spec: BackendSpec) => Promise<GenerationBackend>;
