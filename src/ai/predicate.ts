/** The AI artifact predicate and statement, their DSSE signature, and the checks that bind a predicate to its replay manifest. */
import { canonicalBytes } from '../core/canonical-json.js';
import { digestHex, sha256Digest } from '../core/digest.js';
import { signEnvelope, type DsseEnvelope } from '../crypto/dsse.js';
import { buildStatement, type ResourceDescriptor, type Statement } from '../crypto/intoto.js';
import type { Signer } from '../crypto/signer.js';
import { manifestHashOf } from './manifest.js';
import { AI_PAYLOAD_TYPE, AI_PREDICATE_TYPE, type AiArtifactPredicate, type Authority, type ReplayManifest } from './types.js';
import type { AiCheck } from './use-cases.js';

export function buildPredicate(m: ReplayManifest, authority: Authority): AiArtifactPredicate {
  return {
    artifactId: m.artifactId,
    artifactType: m.artifactType,
    authority,
    generatedAt: m.metadata.generatedAt,
    model: { modelId: m.model.modelId, weightsDigest: m.model.weightsDigest, promptTemplateVersion: m.model.promptTemplateVersion },
    inputs: {
      systemPromptHash: m.prompts.systemPromptHash,
      userPromptHash: m.prompts.userPromptHash,
      contextHashes: m.context.contextHashes,
    },
    parameters: m.parameters,
    output: { contentHash: m.output.contentHash, tokenCount: m.output.tokenCount },
    replayManifest: { manifestId: m.manifestId, manifestHash: m.manifestHash },
    finding: { id: m.finding.id, cve: m.finding.cve, purl: m.finding.purl },
  };
}

export function buildAiStatement(predicate: AiArtifactPredicate, manifest: ReplayManifest): Statement<AiArtifactPredicate> {
  const subject: ResourceDescriptor[] = [
    { name: `${predicate.artifactId}.output`, digest: { sha256: digestHex(predicate.output.contentHash) } },
  ];
  const scanned = manifest.finding.artifactDigest;
  if (scanned !== undefined) subject.push({ name: manifest.finding.purl, digest: { sha256: digestHex(scanned) } });
  return buildStatement(subject, AI_PREDICATE_TYPE, predicate);
}

export function signAiStatement(statement: Statement<AiArtifactPredicate>, signer: Signer): { envelope: DsseEnvelope; bytes: Buffer } {
  const envelope = signEnvelope(AI_PAYLOAD_TYPE, canonicalBytes(statement), [signer]);
  return { envelope, bytes: Buffer.from(JSON.stringify(envelope)) };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(canonicalBytes(a)) === JSON.stringify(canonicalBytes(b));

/** The predicate against the manifest's texts: every hash it records must be recomputable from them. */
export function bindingChecks(p: AiArtifactPredicate, m: ReplayManifest): AiCheck[] {
  const checks: AiCheck[] = [];
  const bindingProblems: string[] = [];
  if (p.artifactId !== m.artifactId) bindingProblems.push(`artifactId: predicate ${p.artifactId}, manifest ${m.artifactId}`);
  if (p.replayManifest.manifestId !== m.manifestId)
    bindingProblems.push(`replayManifest.manifestId: predicate ${p.replayManifest.manifestId}, manifest ${m.manifestId}`);
  const recomputed = manifestHashOf(m);
  if (p.replayManifest.manifestHash !== recomputed)
    bindingProblems.push(
      `replayManifest.manifestHash: predicate says ${p.replayManifest.manifestHash}, the manifest hashes to ${recomputed}`,
    );
  if (
    p.model.weightsDigest !== m.model.weightsDigest ||
    p.model.modelId !== m.model.modelId ||
    p.model.promptTemplateVersion !== m.model.promptTemplateVersion
  )
    bindingProblems.push('model: predicate and manifest name different models or template versions');
  if (!same(p.parameters, m.parameters)) bindingProblems.push('parameters: predicate and manifest differ');
  if (p.artifactType !== m.artifactType) bindingProblems.push(`artifactType: predicate ${p.artifactType}, manifest ${m.artifactType}`);
  checks.push({
    name: 'manifest-binding',
    ok: bindingProblems.length === 0,
    message: bindingProblems.length === 0 ? `manifest ${m.manifestId} is the one the predicate names` : bindingProblems.join('; '),
  });

  const sys = sha256Digest(m.prompts.systemPrompt);
  const user = sha256Digest(m.prompts.userPrompt);
  const promptProblems = [
    sys !== p.inputs.systemPromptHash
      ? `inputs.systemPromptHash: manifest text hashes to ${sys}, predicate says ${p.inputs.systemPromptHash}`
      : '',
    user !== p.inputs.userPromptHash
      ? `inputs.userPromptHash: manifest text hashes to ${user}, predicate says ${p.inputs.userPromptHash}`
      : '',
  ].filter((s) => s !== '');
  checks.push({
    name: 'prompt-hashes',
    ok: promptProblems.length === 0,
    message: promptProblems.length === 0 ? 'system and user prompts hash to the predicate' : promptProblems.join('; '),
  });

  const ctx = m.context.contextPack.map((d) => sha256Digest(d.content));
  const ctxOk = same(ctx, p.inputs.contextHashes);
  checks.push({
    name: 'context-hashes',
    ok: ctxOk,
    message: ctxOk
      ? `${ctx.length} context document(s) hash to the predicate`
      : `inputs.contextHashes: manifest documents hash to [${ctx.join(', ')}], predicate says [${p.inputs.contextHashes.join(', ')}]`,
  });

  const out = sha256Digest(m.output.content);
  checks.push({
    name: 'output-hash',
    ok: out === p.output.contentHash,
    message:
      out === p.output.contentHash
        ? 'output text hashes to the predicate'
        : `output.contentHash: manifest text hashes to ${out}, predicate says ${p.output.contentHash}`,
  });
  return checks;
}
