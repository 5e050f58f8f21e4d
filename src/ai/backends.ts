/** Opens the backend a spec names, and keeps loaded ones for reuse (model loads are the slow part). */
import type { AttestryConfig } from '../core/config.js';
import { parseDigest, sha256Digest } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import type { BackendSpec, GenerationBackend, OpenBackend } from './backend.js';
import { openLlamaBackend } from './backend-llama.js';
import { openOpenAiBackend } from './backend-openai.js';

export const openBackend: OpenBackend = (spec) => (spec.kind === 'local' ? openLlamaBackend(spec) : openOpenAiBackend(spec));

/** The configured backend (`advisoryAi.inference.default`), unless a request names its own. */
export function backendSpecFromConfig(
  ai: AttestryConfig['advisoryAi'],
  override?: BackendSpec,
  env: NodeJS.ProcessEnv = process.env,
): BackendSpec {
  if (override !== undefined) return override;
  const { local, remote } = ai.inference;
  if (ai.inference.default === 'remote') {
    if (remote.endpoint === null)
      throw new AttestryError('E_CONFIG', 'advisoryAi.inference.remote.endpoint is not set (advisoryAi.inference.default is remote)');
    const apiKey = remote.apiKeyEnv === null ? undefined : env[remote.apiKeyEnv];
    return {
      kind: 'remote',
      endpoint: remote.endpoint,
      model: remote.model ?? undefined,
      apiKey,
      weightsDigest:
        remote.weightsDigest === null ? undefined : parseDigest(remote.weightsDigest, 'advisoryAi.inference.remote.weightsDigest'),
      timeoutMs: remote.timeoutSeconds * 1000,
    };
  }
  if (local.modelPath === null)
    throw new AttestryError(
      'E_CONFIG',
      'no model: set advisoryAi.inference.local.modelPath (a .gguf file), or pass --model PATH / --endpoint URL',
    );
  return {
    kind: 'local',
    modelPath: local.modelPath,
    threads: local.threads ?? undefined,
    contextSize: local.contextSize,
    batchSize: local.batchSize,
  };
}

const specKey = (spec: BackendSpec): string =>
  spec.kind === 'local'
    ? JSON.stringify(['local', spec.modelPath, spec.threads ?? null, spec.contextSize ?? null, spec.batchSize ?? null])
    : // Another token or timeout is another backend (the key holds the token's digest, not the token).
      JSON.stringify([
        'remote',
        spec.endpoint,
        spec.model ?? null,
        spec.weightsDigest ?? null,
        spec.apiKey === undefined ? null : sha256Digest(spec.apiKey),
        spec.timeoutMs ?? null,
      ]);

/** Loaded backends by spec; at most `limit` stay open (least recently used closes first). */
export class BackendPool {
  readonly #open = new Map<string, Promise<GenerationBackend>>();
  constructor(
    readonly opener: OpenBackend = openBackend,
    readonly limit = 2,
  ) {}

  get(spec: BackendSpec): Promise<GenerationBackend> {
    const key = specKey(spec);
    const hit = this.#open.get(key);
    if (hit !== undefined) {
      this.#open.delete(key);
      this.#open.set(key, hit);
      return hit;
    }
    const opening = this.opener(spec);
    this.#open.set(key, opening);
    opening.catch(() => this.#open.delete(key));
    while (this.#open.size > this.limit) {
      const [oldKey, old] = this.#open.entries().next().value as [string, Promise<GenerationBackend>];
      this.#open.delete(oldKey);
      void old.then((b) => b.close()).catch(() => undefined);
    }
    return opening;
  }

  async close(): Promise<void> {
    const all = [...this.#open.values()];
    this.#open.clear();
    await Promise.all(all.map((p) => p.then((b) => b.close()).catch(() => undefined)));
  }
}
