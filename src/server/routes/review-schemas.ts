import { z } from 'zod';
import { ARTIFACT_TYPES } from '../../ai/types.js';

/**
 * The wire shapes of the review and VEX routes (issue 17), for validation
 * and the OpenAPI document. Bodies are open objects here so that the route
 * can refuse an unknown field by name (ajv would only say "must NOT have
 * additional properties"); comments and reasons are bounded as the use cases
 * bound them, and the envelope of verify-chain is checked field by field by
 * the use case.
 */

const text = (max: number) => z.string().min(1).max(max);
const Tenant = text(128).describe("the tenant; defaults to the token's only tenant");
const ArtifactId = z
  .string()
  .regex(/^ai-artifact-[0-9]{8}-[0-9A-Za-z]{26}$/)
  .describe('ai-artifact-YYYYMMDD-<ULID>');
/** What the use cases allow a comment or a reason to be. */
const MAX_TEXT = 16_384;
const count = (what: string) =>
  z
    .string()
    .regex(/^[0-9]{1,9}$/)
    .describe(what);

export const ArtifactParams = z.object({ artifactId: ArtifactId });
export type ArtifactParamsT = z.infer<typeof ArtifactParams>;

export { TenantQuery, type TenantQueryT } from './ai-schemas.js';

export const ReviewListQuery = z.object({
  tenant: Tenant.optional(),
  type: z.enum(ARTIFACT_TYPES).describe('only artifacts of this type').optional(),
  state: z.enum(['pending', 'approved', 'rejected', 'all']).describe('default pending').optional(),
  minAgeSeconds: count('only drafts generated at least this many seconds ago').optional(),
  limit: z
    .string()
    .regex(/^[1-9][0-9]{0,3}$/)
    .describe('at most this many (default 100, at most 1000)')
    .optional(),
});
export type ReviewListQueryT = z.infer<typeof ReviewListQuery>;

export const APPROVE_FIELDS = ['comment', 'tenant'];
export const ApproveBody = z.object({
  comment: z.string().max(MAX_TEXT).describe('what the reviewer checked; recorded in the signed transition').optional(),
  tenant: Tenant.optional(),
});
export type ApproveBodyT = z.infer<typeof ApproveBody>;

/** Reject and override: a reason is required (an empty one is refused by the use case, naming the rule). */
export const REASON_FIELDS = ['reason', 'tenant'];
export const ReasonBody = z.object({
  reason: z.string().max(MAX_TEXT).describe('why; required, recorded in the signed transition'),
  tenant: Tenant.optional(),
});
export type ReasonBodyT = z.infer<typeof ReasonBody>;

export const GROUND_TRUTH_FIELDS = ['callgraphId', 'symbol', 'tenant'];
export const GroundTruthBody = z.object({
  callgraphId: text(256).describe('the callgraph whose latest signed reachability verdict is cited'),
  symbol: text(4096).describe("the symbol the verdict is about; default the finding's symbol").optional(),
  tenant: Tenant.optional(),
});
export type GroundTruthBodyT = z.infer<typeof GroundTruthBody>;

export const PUBLISH_FIELDS = ['tenant'];
export const PublishBody = z.object({ tenant: Tenant.optional() });
export type PublishBodyT = z.infer<typeof PublishBody>;

export const VexQuery = z.object({
  purl: text(2048).describe('a package URL; without a version, every version of the package'),
  tenant: Tenant.optional(),
  limit: z
    .string()
    .regex(/^[1-9][0-9]{0,3}$/)
    .describe('at most this many (default 100, at most 1000)')
    .optional(),
});
export type VexQueryT = z.infer<typeof VexQuery>;

export const VERIFY_CHAIN_FIELDS = ['attestation', 'tenant'];
export const VerifyChainBody = z.object({
  attestation: z
    .looseObject({})
    .describe(
      "the published VEX attestation (DSSE envelope, or the Sigstore bundle of GET /vex/{artifactId}/bundle), or a draft's envelope",
    ),
  tenant: Tenant.optional(),
});
export type VerifyChainBodyT = z.infer<typeof VerifyChainBody>;

/** Replies are documented loosely: their fields are docs/ai.md's, and the routes send them whole. */
export const AnyObjectReply = z.looseObject({});
