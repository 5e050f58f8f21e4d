/**
 * Explain (seed 002 "Generate with Attestation"): render the finding and its
 * context pack through the artifact type's template, generate greedily, then
 * build the replay manifest, predicate and statement, sign them, and store
 * all three in the locker at the seed's layout (the record is logged).
 * Blobs and the locker record are durable before the artifact row, and the
 * row before the audit record, so no row ever points at missing blobs.
 */
import { authorize, writeTenant, type Principal } from '../authz/principal.js';
import { canonicalBytes } from '../core/canonical-json.js';
import { sha256Digest } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import { backendSpecFromConfig } from './backends.js';
import { buildContextPack } from './context-pack.js';
import type { AiDeps } from './deps.js';
import { assertDeterministic, determinismViolations } from './determinism.js';
import { artifactIdsFor } from './ids.js';
import { buildReplayManifest } from './manifest.js';
import { buildAiStatement, buildPredicate, signAiStatement } from './predicate.js';
import { parseFinding } from './schemas.js';
import { loadTemplate, renderPrompts } from './templates.js';
import { INITIAL_AUTHORITY, type GenerationParameters } from './types.js';
import type { AuditTrail } from './audit.js';
import type { ExplainRequest, ExplainResult } from './use-cases.js';

const KIND = 'ai-attestations';

export function effectiveParameters(d: AiDeps, overrides: Partial<GenerationParameters> | undefined): GenerationParameters {
  const local = d.config.inference.local;
  return {
    temperature: overrides?.temperature ?? local.temperature,
    seed: overrides?.seed !== undefined ? overrides.seed : (local.seed ?? d.config.attestations.defaultSeed),
    maxTokens: overrides?.maxTokens ?? local.maxTokens,
    topK: overrides?.topK ?? local.topK,
    topP: overrides?.topP ?? local.topP,
  };
}

/** Generations running at once on this node (`advisoryAi.limits.concurrency`); the rest wait their turn. */
export class Limiter {
  #active = 0;
  readonly #waiting: (() => void)[] = [];
  constructor(readonly limit: number) {}
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.limit) await new Promise<void>((r) => this.#waiting.push(r));
    this.#active += 1;
    try {
      return await task();
    } finally {
      this.#active -= 1;
      this.#waiting.shift()?.();
    }
  }
}

export async function explain(
  d: AiDeps,
  audit: AuditTrail,
  limiter: Limiter,
  principal: Principal,
  req: ExplainRequest,
): Promise<ExplainResult> {
  const tenant = writeTenant(principal, req.tenant);
  authorize(principal, tenant, KIND, 'write', () => new AttestryError('E_NOT_FOUND', `unknown tenant "${tenant}"`), d.kinds);
  const finding = parseFinding(req.finding);
  const type = req.artifactType ?? 'explanation';
  if (!(type in INITIAL_AUTHORITY))
    throw new AttestryError(
      'E_INVALID_INPUT',
      `artifactType: ${type as string} is not one of ${Object.keys(INITIAL_AUTHORITY).join(', ')}`,
    );
  const limits = d.config.limits;
  if (canonicalBytes(finding).length > limits.maxFindingBytes)
    throw new AttestryError(
      'E_PAYLOAD_TOO_LARGE',
      `the finding is larger than ${limits.maxFindingBytes} bytes (advisoryAi.limits.maxFindingBytes)`,
    );
  const pack = buildContextPack(req.context ?? [], { maxDocuments: limits.maxContextDocuments, maxBytes: limits.maxContextBytes });
  const template = loadTemplate(type, req.templateVersion);
  const { systemPrompt, userPrompt } = renderPrompts(template, finding, pack);
  const parameters = effectiveParameters(d, req.parameters);
  assertDeterministic(parameters, d.config.attestations.requireDeterminism);
  const backend = await d.pool.get(backendSpecFromConfig(d.config, req.backend));
  const out = await limiter.run(() => backend.generate({ systemPrompt, userPrompt, parameters }));

  const ids = artifactIdsFor(d.ids.next());
  const generatedAt = d.clock.now().toISOString();
  const manifest = buildReplayManifest({
    manifestId: ids.manifestId,
    artifactId: ids.artifactId,
    artifactType: type,
    model: {
      modelId: backend.modelId,
      weightsDigest: backend.weightsDigest,
      promptTemplateVersion: template.version,
      templateDigest: template.digest,
    },
    prompts: { systemPrompt, userPrompt, systemPromptHash: sha256Digest(systemPrompt), userPromptHash: sha256Digest(userPrompt) },
    context: { contextPack: pack, contextHashes: pack.map((c) => c.digest) },
    parameters,
    output: { content: out.content, contentHash: sha256Digest(out.content), tokenCount: out.tokenCount },
    metadata: { generatedAt, replayable: true, deterministicSettings: determinismViolations(parameters).length === 0 },
    finding,
    engine: out.pins ?? backend.pins(),
  });
  const authority = INITIAL_AUTHORITY[type];
  const statement = buildAiStatement(buildPredicate(manifest, authority), manifest);
  const statementBytes = canonicalBytes(statement);
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  const sign = req.signAttestation ?? d.config.attestations.sign;
  const keys = {
    statement: d.kinds.blobKey(KIND, 'statement', tenant, ids.ulid),
    envelope: sign ? d.kinds.blobKey(KIND, 'primary', tenant, ids.ulid) : null,
    manifest: d.kinds.blobKey(KIND, 'manifest', tenant, ids.ulid),
  };
  let envelope = null;
  let logIndex: number | null = null;
  let recordId: string | null = null;
  const signer = d.signer();
  if (sign) {
    const signed = signAiStatement(statement, signer);
    envelope = signed.envelope;
    const put = await d.locker.putRecord(principal, {
      tenant,
      envelope: signed.bytes,
      parsedJson: signed.envelope,
      extraBlobs: [
        { role: 'statement', bytes: statementBytes, digest: sha256Digest(statementBytes) },
        { role: 'manifest', bytes: manifestBytes, digest: sha256Digest(manifestBytes) },
      ],
      id: ids.ulid,
    });
    logIndex = put.logIndex;
    recordId = put.id;
  } else {
    // Unsigned: the blobs at the same layout; the signed audit record below covers their digests.
    await d.blobs.put(keys.statement, statementBytes, sha256Digest(statementBytes));
    await d.blobs.put(keys.manifest, manifestBytes, sha256Digest(manifestBytes));
  }
  await d.repo.insertArtifact({
    artifact_id: ids.artifactId,
    record_id: recordId,
    tenant,
    artifact_type: type,
    authority,
    model_id: backend.modelId,
    weights_digest: backend.weightsDigest,
    template_version: template.version,
    manifest_id: ids.manifestId,
    manifest_hash: manifest.manifestHash,
    manifest_digest: sha256Digest(manifestBytes),
    statement_digest: sha256Digest(statementBytes),
    signed: sign ? 1 : 0,
    key_id: sign ? signer.keyid : null,
    generated_at: generatedAt,
    created_by: principal.tokenId,
  });
  await audit.append(principal, tenant, {
    operation: 'ai_generation',
    artifactId: ids.artifactId,
    artifactType: type,
    modelId: backend.modelId,
    authority,
    inputHashes: [manifest.prompts.systemPromptHash, manifest.prompts.userPromptHash, ...manifest.context.contextHashes],
    outputHash: manifest.output.contentHash,
    signed: sign,
    replayable: manifest.metadata.replayable,
    outcome: `manifest ${manifest.manifestHash}; statement ${sha256Digest(statementBytes)}`,
  });
  return {
    artifactId: ids.artifactId,
    artifactType: type,
    authority,
    output: out.content,
    tokenCount: out.tokenCount,
    statement,
    envelope,
    keyId: sign ? signer.keyid : null,
    manifest,
    replayManifestId: ids.manifestId,
    keys,
    recordId: ids.ulid,
    logIndex,
    generationMs: out.durationMs,
  };
}
