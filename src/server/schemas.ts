import { z } from 'zod';
import { routeSchema } from './route-schema.js';

/**
 * The wire formats (zod), one schema library for parsers and routes alike.
 * Routes hand these to Fastify through `routeSchema` (JSON Schema for ajv
 * validation, serialization and the OpenAPI document).
 */
export const ErrorReply = z.object({
  code: z.string().meta({ examples: ['E_FORBIDDEN'] }),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
/** Every route's error responses: one JSON Schema object, named `Error`. */
export const ErrorReplySchema = routeSchema(ErrorReply, { $id: 'Error' });

const Base64 = z.string().regex(/^[A-Za-z0-9+/_=-]*$/);

export const DsseEnvelopeBody = z
  .object({
    payloadType: z.string().min(1),
    payload: Base64,
    signatures: z
      .array(z.object({ keyid: z.string().nullable().optional(), keyId: z.string().optional(), sig: Base64 }))
      .min(1)
      .max(16),
  })
  .describe('DSSE v1 envelope');

const SIGSTORE_BUNDLE_MEDIA_TYPE = /^application\/vnd\.dev\.sigstore\.bundle/;

export const SigstoreBundleBody = z
  .object({
    mediaType: z.string().regex(SIGSTORE_BUNDLE_MEDIA_TYPE),
    // Each tlog entry is an object (protobuf-specs TransparencyLogEntry); a bundle has a handful at most.
    verificationMaterial: z.looseObject({ tlogEntries: z.array(z.looseObject({})).max(64).optional() }),
    dsseEnvelope: DsseEnvelopeBody,
  })
  .describe('Sigstore bundle holding a DSSE envelope (e.g. an OMS model signature)');

export const MessageSignatureBody = z
  .object({
    messageDigest: z.object({ algorithm: z.string().min(1), digest: Base64 }),
    signature: Base64,
  })
  .describe('message signature over a digest (Sigstore MessageSignature)');

export const MessageSignatureBundleBody = z
  .object({
    mediaType: z.string().regex(SIGSTORE_BUNDLE_MEDIA_TYPE),
    verificationMaterial: z.looseObject({}),
    messageSignature: MessageSignatureBody,
  })
  .describe('Sigstore bundle holding a message signature (what `attestry sign-blob` writes): ECDSA keys only');

export const AttestationUploadBody = z.union([DsseEnvelopeBody, SigstoreBundleBody, MessageSignatureBundleBody]);

export const TenantQuery = z.object({
  tenant: z.string().describe("tenant to write to; defaults to the token's only tenant").optional(),
});

export const Subject = z.object({ digest: z.string(), name: z.string().nullable() });

export const StoredReply = z.object({
  id: z.string(),
  created: z.boolean(),
  tenant: z.string(),
  kind: z.string(),
  digest: z.string(),
  signerKeyId: z.string(),
  subjects: z.array(Subject),
  logIndex: z.int().nullable().describe('index of the entry in the transparency log (null when not logged)'),
  rekorUuid: z.string().nullable().describe('the log entry id: hex RFC 6962 leaf hash'),
  skipReason: z.string().describe('why there is no log entry').optional(),
});

export const AttestationMeta = z.object({
  tenant: z.string(),
  kind: z.string(),
  mediaType: z.string(),
  payloadType: z.string(),
  predicateType: z.string().nullable(),
  digest: z.string(),
  size: z.int(),
  signerKeyId: z.string(),
  createdAt: z.string(),
  subjects: z.array(Subject),
  logIndex: z.int().nullable(),
  rekorUuid: z.string().nullable(),
  skipReason: z.string().optional(),
});

export const IdParams = z.object({ id: z.string().min(26).max(26).describe('ULID') });

export const FindQuery = z.object({
  subject: z.string().describe('sha256:<hex> subject digest (a model digest for model signatures)'),
  tenant: z.string().optional(),
  kind: z.string().optional(),
  // Ids are assigned before the durable write, so a record committing late can land before a
  // cursor already handed out; callers that need every record re-query from the start.
  after: z
    .string()
    .describe(
      'cursor: the `next` of the previous page (pages follow id order; a write still in flight when a page was read may appear before its cursor)',
    )
    .optional(),
  // Query strings are text and the service does not coerce types (a body's "1" must stay a string).
  limit: z
    .string()
    .regex(/^(?:[1-9][0-9]{0,2}|1000)$/)
    .describe('page size, 1-1000 (default 100)')
    .optional(),
});

export const PublicKeyReply = z.object({
  keyId: z.string(),
  algorithm: z.string(),
  publicKeyPem: z.string(),
  fingerprint: z.string(),
  hint: z.string(),
  signing: z.boolean(),
});

export type FindQueryT = z.input<typeof FindQuery>;
export type TenantQueryT = z.input<typeof TenantQuery>;
export type IdParamsT = z.input<typeof IdParams>;
