/**
 * Parsers for what reaches the AI domain from outside: findings, AI artifact
 * predicates and statements (the seed's `_type`-in-predicate form too) and
 * replay manifests. Unknown fields are refused by name; strings are bounded.
 */
import { z } from 'zod';
import { parseWith } from '../core/validation.js';
import { STATEMENT_TYPE_V1, type Statement } from '../crypto/intoto.js';
import { parsePurl } from '../signals/purl.js';
import { VEX_JUSTIFICATIONS, VEX_STATUSES } from './vex-types.js';
import { AI_PREDICATE_TYPE, ARTIFACT_TYPES, AUTHORITIES, type AiArtifactPredicate, type Finding, type ReplayManifest } from './types.js';

const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 lowercase hex>');
const text = (max: number) => z.string().max(max);
const id = z.string().min(1).max(256);
const json: z.ZodType = z.unknown();

const FindingSchema = z
  .object({
    id: id,
    cve: z.string().min(1).max(64),
    purl: z.string().min(1).max(2048),
    version: z.string().min(1).max(256).optional(),
    description: text(64 * 1024),
    severity: z.string().max(64).optional(),
    evidence: json.optional(),
    artifactDigest: digest.optional(),
    symbol: z.string().min(1).max(4096).optional(),
    vex: z
      .object({ status: z.enum(VEX_STATUSES), justification: z.enum(VEX_JUSTIFICATIONS).optional() })
      .strict()
      .optional(),
  })
  .strict();

export function parseFinding(input: unknown): Finding {
  const f = parseWith(FindingSchema, input, 'finding');
  const purl = parsePurl(f.purl, 'finding.purl');
  const version = f.version ?? purl.version ?? undefined;
  return { ...f, ...(version === undefined ? {} : { version }) } as Finding;
}

export const ParametersSchema = z
  .object({
    temperature: z.number().min(0).max(2),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .nullable(),
    maxTokens: z.number().int().positive().max(32768),
    topK: z.number().int().positive(),
    topP: z.number().gt(0).max(1).default(1),
  })
  .strict();

const PredicateSchema = z
  .object({
    artifactId: id,
    artifactType: z.enum(ARTIFACT_TYPES),
    authority: z.enum(AUTHORITIES),
    generatedAt: z.iso.datetime({ offset: true }),
    model: z.object({ modelId: id, weightsDigest: digest, promptTemplateVersion: z.string().min(1).max(64) }).strict(),
    inputs: z.object({ systemPromptHash: digest, userPromptHash: digest, contextHashes: z.array(digest).max(1000) }).strict(),
    parameters: ParametersSchema,
    output: z.object({ contentHash: digest, tokenCount: z.number().int().min(0) }).strict(),
    replayManifest: z.object({ manifestId: id, manifestHash: digest }).strict(),
    finding: z
      .object({ id: id, cve: z.string().max(64), purl: z.string().max(2048) })
      .strict()
      .optional(),
  })
  .strict();

export function parsePredicate(input: unknown): AiArtifactPredicate {
  return parseWith(PredicateSchema, input, 'AI artifact predicate') as AiArtifactPredicate;
}

const SubjectSchema = z.object({ name: z.string().max(1024), digest: z.record(z.string(), z.string().max(256)) }).loose();

/** An in-toto Statement v1 about an AI artifact, or the seed's bare predicate with `_type` (no subjects then). */
export function parseAiStatement(input: unknown): { statement: Statement<AiArtifactPredicate>; form: 'statement' | 'seed' } {
  if (typeof input === 'object' && input !== null && (input as { _type?: unknown })._type === AI_PREDICATE_TYPE) {
    const { _type: _, ...rest } = input as Record<string, unknown>;
    return {
      statement: { _type: STATEMENT_TYPE_V1, subject: [], predicateType: AI_PREDICATE_TYPE, predicate: parsePredicate(rest) },
      form: 'seed',
    };
  }
  const s = parseWith(
    z
      .object({
        _type: z.literal(STATEMENT_TYPE_V1),
        subject: z.array(SubjectSchema).max(64),
        predicateType: z.literal(AI_PREDICATE_TYPE),
        predicate: json,
      })
      .strict(),
    input,
    'AI attestation statement',
  );
  return { statement: { ...s, predicate: parsePredicate(s.predicate) }, form: 'statement' };
}

const ContextDocumentSchema = z
  .object({ name: z.string().min(1).max(256), mediaType: z.string().max(128), content: text(4 * 1024 * 1024), digest })
  .strict();
const nullableInt = z.number().int().positive().nullable();

const ManifestSchema = z
  .object({
    manifestVersion: z.literal('1.0'),
    manifestId: id,
    artifactId: id,
    artifactType: z.enum(ARTIFACT_TYPES),
    model: z
      .object({ modelId: id, weightsDigest: digest, promptTemplateVersion: z.string().min(1).max(64), templateDigest: digest })
      .strict(),
    prompts: z
      .object({ systemPrompt: text(1024 * 1024), userPrompt: text(8 * 1024 * 1024), systemPromptHash: digest, userPromptHash: digest })
      .strict(),
    context: z.object({ contextPack: z.array(ContextDocumentSchema).max(1000), contextHashes: z.array(digest).max(1000) }).strict(),
    parameters: ParametersSchema,
    output: z.object({ content: text(8 * 1024 * 1024), contentHash: digest, tokenCount: z.number().int().min(0) }).strict(),
    metadata: z
      .object({ generatedAt: z.iso.datetime({ offset: true }), replayable: z.boolean(), deterministicSettings: z.boolean() })
      .strict(),
    finding: FindingSchema,
    engine: z
      .object({
        engine: z.string().min(1).max(64),
        engineVersion: z.string().max(128),
        backend: z.string().max(64),
        gpu: z.string().max(256).nullable(),
        threads: nullableInt,
        batchSize: nullableInt,
        contextSize: nullableInt,
        promptCache: z.boolean(),
        tokenizerDigest: digest.nullable(),
        chatTemplateDigest: digest.nullable(),
        remote: z
          .object({ endpoint: z.string().max(2048), modelId: z.string().max(256), version: z.string().max(256).nullable() })
          .strict()
          .nullable(),
      })
      .strict(),
    manifestHash: digest,
  })
  .strict();

export function parseReplayManifest(input: unknown): ReplayManifest {
  return parseWith(ManifestSchema, input, 'replay manifest') as ReplayManifest;
}
