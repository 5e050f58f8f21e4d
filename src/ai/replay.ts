/**
 * Replay (seed 002 "Replay Workflow"): check every pin of the manifest
 * against the setup the replay would use and name each mismatch, then
 * generate with that setup and compare. Prompts are rendered again from the
 * template version, the manifest's finding and the context pack, so a
 * changed template or context document changes what is generated.
 */
import { sha256Digest } from '../core/digest.js';
import { AttestryError, isAttestryError } from '../core/errors.js';
import { backendSpecFromConfig } from './backends.js';
import { buildContextPack } from './context-pack.js';
import type { AiDeps } from './deps.js';
import { determinismViolations } from './determinism.js';
import type { Limiter } from './explain.js';
import { manifestIntegrity } from './manifest.js';
import { comparePins } from './pins.js';
import { compareOutputs } from './similarity.js';
import { loadTemplate, renderPrompts } from './templates.js';
import type { ReplayCause, ReplayManifest, ReplayResult } from './types.js';
import type { ReplayOverrides } from './use-cases.js';

function failed(m: ReplayManifest, causes: ReplayCause[], e: unknown): ReplayResult {
  const err = isAttestryError(e) ? e : new AttestryError('E_GENERATION_FAILED', (e as Error).message);
  return {
    status: 'failed',
    identical: false,
    diverged: true,
    similarityScore: 0,
    originalHash: m.output.contentHash,
    replayedHash: null,
    details: [],
    causes,
    artifactId: m.artifactId,
    manifestId: m.manifestId,
    error: { code: err.code, message: err.message },
  };
}

export async function replayManifest(
  d: AiDeps,
  limiter: Limiter,
  m: ReplayManifest,
  overrides: ReplayOverrides = {},
  detect = true,
): Promise<ReplayResult> {
  const causes: ReplayCause[] = manifestIntegrity(m);
  try {
    const parameters = { ...m.parameters, ...(overrides.parameters ?? {}) };
    const version = overrides.templateVersion ?? m.model.promptTemplateVersion;
    const limits = d.config.limits;
    const pack =
      overrides.context === undefined
        ? m.context.contextPack
        : buildContextPack(overrides.context, { maxDocuments: limits.maxContextDocuments, maxBytes: limits.maxContextBytes });
    let prompts = { systemPrompt: m.prompts.systemPrompt, userPrompt: m.prompts.userPrompt };
    let templateDigest = null;
    try {
      const template = loadTemplate(m.artifactType, version);
      templateDigest = template.digest;
      prompts = renderPrompts(template, m.finding, pack);
    } catch (e) {
      if (!isAttestryError(e) || e.code !== 'E_NOT_FOUND') throw e;
      causes.push({
        cause: 'template',
        field: 'model.promptTemplateVersion',
        expected: m.model.promptTemplateVersion,
        actual: null,
        description: `Prompt template change: this build has no ${m.artifactType} template ${version}; the recorded prompts are replayed as written`,
        resolution: 'Pin template version',
      });
    }
    const backend = await d.pool.get(backendSpecFromConfig(d.config, overrides.backend));
    const setup = {
      modelId: backend.modelId,
      weightsDigest: backend.weightsDigest,
      parameters,
      templateVersion: version,
      templateDigest,
      systemPrompt: prompts.systemPrompt,
      userPrompt: prompts.userPrompt,
      contextPack: pack,
    };
    const pinStart = causes.length;
    const before = comparePins(m, { ...setup, pins: backend.pins() });
    causes.push(...before);
    const violations = determinismViolations(parameters);
    if (violations.length > 0 && d.config.attestations.requireDeterminism)
      return failed(
        m,
        causes,
        new AttestryError('E_NONDETERMINISTIC', `replay refused (advisoryAi.attestations.requireDeterminism): ${violations.join('; ')}`),
      );
    const out = await limiter.run(() => backend.generate({ ...prompts, parameters }));
    // A remote server says which model and version answered only in its reply: compare those pins.
    if (out.pins !== undefined) causes.splice(pinStart, before.length, ...comparePins(m, { ...setup, pins: out.pins }));
    const replayedHash = sha256Digest(out.content);
    const cmp = compareOutputs(m.output.content, out.content);
    return {
      status: cmp.status,
      identical: cmp.status === 'identical',
      diverged: cmp.status !== 'identical',
      similarityScore: cmp.similarityScore,
      originalHash: m.output.contentHash,
      replayedHash,
      details: detect ? cmp.details : [],
      causes,
      artifactId: m.artifactId,
      manifestId: m.manifestId,
      replayedOutput: out.content,
      replayedTokenCount: out.tokenCount,
      generationMs: out.durationMs,
    };
  } catch (e) {
    return failed(m, causes, e);
  }
}
