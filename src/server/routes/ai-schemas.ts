import { z } from 'zod';
import { ParametersSchema } from '../../ai/schemas.js';
import { ARTIFACT_TYPES } from '../../ai/types.js';

/**
 * The wire shapes of the AI routes (seed 002 "API Endpoints", docs/ai.md),
 * for validation and the OpenAPI document. The finding, the envelope and the
 * manifest are checked field by field by the use cases (parseFinding,
 * parseEnvelope, parseReplayManifest), whose messages name the field; here
 * only their outer shape and sizes are.
 */

const text = (max: number) => z.string().min(1).max(max);
const Tenant = text(128).describe("the tenant; defaults to the token's only tenant");
const ArtifactId = z
  .string()
  .regex(/^ai-artifact-[0-9]{8}-[0-9A-Za-z]{26}$/)
  .describe('ai-artifact-YYYYMMDD-<ULID>');
const ManifestId = z
  .string()
  .regex(/^replay-[0-9]{8}-[0-9A-Za-z]{26}$/)
  .describe('replay-YYYYMMDD-<ULID>');
const Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/);

// The manifest's parameter schema, every field optional: what the request gives overrides the configured value.
// topP without the manifest's default (1, for manifests older than the field): Fastify's ajv would fill it in and override the configured value.
const Parameters = ParametersSchema.partial()
  .extend({ topP: z.number().gt(0).max(1).optional() })
  .describe('overrides of advisoryAi.inference.local.* for this generation');

const ContextDocument = z
  .object({
    name: text(256),
    mediaType: text(128).optional(),
    content: z.string(),
  })
  .strict();

export const EXPLAIN_FIELDS = ['findingId', 'artifactDigest', 'finding', 'context', 'tenant', 'options'];

export const ExplainBody = z.object({
  findingId: text(256).describe('the finding id (seed 002); must equal finding.id when both are given'),
  artifactDigest: Digest.describe("the scanned artifact's digest (seed 002), recorded in the finding").optional(),
  finding: z
    .looseObject({})
    .describe(
      'the finding: {id, cve, purl, description[, version, severity, evidence, artifactDigest]}; attestry keeps no findings database, so it comes with the request',
    )
    .optional(),
  context: z.array(ContextDocument).max(1000).describe('the context pack; ordered by digest before rendering').optional(),
  tenant: Tenant.optional(),
  options: z
    .object({
      generateAttestation: z.boolean().optional(),
      signAttestation: z.boolean().describe('default advisoryAi.attestations.sign').optional(),
      artifactType: z.enum(ARTIFACT_TYPES).describe('default explanation').optional(),
      templateVersion: text(64).describe('default the current version of the type').optional(),
      parameters: Parameters.optional(),
    })
    .strict()
    .optional(),
});
export type ExplainBodyT = z.infer<typeof ExplainBody>;

export const VerifyBody = z.object({
  attestation: z.looseObject({}).describe('the DSSE envelope (.dsse.json)'),
  manifest: z.looseObject({}).describe('the replay manifest; default the one stored for the artifact').optional(),
  publicKey: text(16 * 1024)
    .describe('a public key PEM to verify with instead of the keyring')
    .optional(),
  tenant: Tenant.optional(),
  options: z
    .object({
      verifySignature: z.boolean().optional(),
      verifyReplay: z.boolean().describe('also generate again and compare (slow: a model run)').optional(),
      requireLogged: z.boolean().optional(),
    })
    .strict()
    .optional(),
});
export type VerifyBodyT = z.infer<typeof VerifyBody>;

export const ReplayBody = z.object({
  manifestId: ManifestId.describe('a stored replay manifest (seed 002)').optional(),
  manifest: z.looseObject({}).describe('or the manifest itself').optional(),
  tenant: Tenant.optional(),
  detectDivergence: z.boolean().describe('default true').optional(),
  overrides: z
    .object({
      parameters: Parameters.optional(),
      templateVersion: text(64).optional(),
      context: z.array(ContextDocument).max(1000).optional(),
    })
    .strict()
    .describe('replay with something changed on purpose; each change is reported as a cause')
    .optional(),
});
export type ReplayBodyT = z.infer<typeof ReplayBody>;

export const AttestationParams = z.object({ id: ArtifactId });
export type AttestationParamsT = z.infer<typeof AttestationParams>;

export const TenantQuery = z.object({ tenant: Tenant.optional() });
export type TenantQueryT = z.infer<typeof TenantQuery>;

export const AuditQuery = z.object({
  tenant: Tenant.optional(),
  artifactId: ArtifactId.optional(),
  since: z.string().max(64).describe('ISO 8601 instant: records at or after it').optional(),
  limit: z
    .string()
    .regex(/^[1-9][0-9]{0,4}$/)
    .describe('at most this many records (default 1000, at most 10000)')
    .optional(),
});
export type AuditQueryT = z.infer<typeof AuditQuery>;

/** Replies are documented loosely: their fields are docs/ai.md's, and the routes send them whole. */
export const AnyObjectReply = z.looseObject({});
