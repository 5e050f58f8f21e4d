import { Type, type Static } from '@sinclair/typebox';

/** JSON schemas of the wire formats (TypeBox), used for validation and the OpenAPI document. */
export const ErrorReply = Type.Object(
  {
    code: Type.String({ examples: ['E_FORBIDDEN'] }),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'Error' },
);

const Base64 = Type.String({ pattern: '^[A-Za-z0-9+/_=-]*$' });

export const DsseEnvelopeBody = Type.Object(
  {
    payloadType: Type.String({ minLength: 1 }),
    payload: Base64,
    signatures: Type.Array(
      Type.Object({ keyid: Type.Optional(Type.Union([Type.String(), Type.Null()])), keyId: Type.Optional(Type.String()), sig: Base64 }),
      { minItems: 1, maxItems: 16 },
    ),
  },
  { description: 'DSSE v1 envelope' },
);

export const SigstoreBundleBody = Type.Object(
  {
    mediaType: Type.String({ pattern: '^application/vnd\\.dev\\.sigstore\\.bundle' }),
    // Each tlog entry is an object (protobuf-specs TransparencyLogEntry); a bundle has a handful at most.
    verificationMaterial: Type.Object(
      { tlogEntries: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }), { maxItems: 64 })) },
      { additionalProperties: true },
    ),
    dsseEnvelope: DsseEnvelopeBody,
  },
  { description: 'Sigstore bundle holding a DSSE envelope (e.g. an OMS model signature)' },
);

export const MessageSignatureBody = Type.Object(
  {
    messageDigest: Type.Object({ algorithm: Type.String({ minLength: 1 }), digest: Base64 }),
    signature: Base64,
  },
  { description: 'message signature over a digest (Sigstore MessageSignature)' },
);

export const MessageSignatureBundleBody = Type.Object(
  {
    mediaType: Type.String({ pattern: '^application/vnd\\.dev\\.sigstore\\.bundle' }),
    verificationMaterial: Type.Object({}, { additionalProperties: true }),
    messageSignature: MessageSignatureBody,
  },
  { description: 'Sigstore bundle holding a message signature (what `attestry sign-blob` writes): ECDSA keys only' },
);

export const AttestationUploadBody = Type.Union([DsseEnvelopeBody, SigstoreBundleBody, MessageSignatureBundleBody]);

export const TenantQuery = Type.Object({
  tenant: Type.Optional(Type.String({ description: "tenant to write to; defaults to the token's only tenant" })),
});

export const Subject = Type.Object({ digest: Type.String(), name: Type.Union([Type.String(), Type.Null()]) });

export const StoredReply = Type.Object({
  id: Type.String(),
  created: Type.Boolean(),
  tenant: Type.String(),
  kind: Type.String(),
  digest: Type.String(),
  signerKeyId: Type.String(),
  subjects: Type.Array(Subject),
  logIndex: Type.Union([Type.Integer(), Type.Null()], { description: 'index of the entry in the transparency log (null when not logged)' }),
  rekorUuid: Type.Union([Type.String(), Type.Null()], { description: 'the log entry id: hex RFC 6962 leaf hash' }),
  skipReason: Type.Optional(Type.String({ description: 'why there is no log entry' })),
});

export const AttestationMeta = Type.Object({
  tenant: Type.String(),
  kind: Type.String(),
  mediaType: Type.String(),
  payloadType: Type.String(),
  predicateType: Type.Union([Type.String(), Type.Null()]),
  digest: Type.String(),
  size: Type.Integer(),
  signerKeyId: Type.String(),
  createdAt: Type.String(),
  subjects: Type.Array(Subject),
  logIndex: Type.Union([Type.Integer(), Type.Null()]),
  rekorUuid: Type.Union([Type.String(), Type.Null()]),
  skipReason: Type.Optional(Type.String()),
});

export const IdParams = Type.Object({ id: Type.String({ minLength: 26, maxLength: 26, description: 'ULID' }) });

export const FindQuery = Type.Object({
  subject: Type.String({ description: 'sha256:<hex> subject digest (a model digest for model signatures)' }),
  tenant: Type.Optional(Type.String()),
  kind: Type.Optional(Type.String()),
  // Ids are assigned before the durable write, so a record committing late can land before a
  // cursor already handed out; callers that need every record re-query from the start.
  after: Type.Optional(
    Type.String({
      description:
        'cursor: the `next` of the previous page (pages follow id order; a write still in flight when a page was read may appear before its cursor)',
    }),
  ),
  // Query strings are text and the service does not coerce types (a body's "1" must stay a string).
  limit: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]{0,2}|1000)$', description: 'page size, 1-1000 (default 100)' })),
});

export const PublicKeyReply = Type.Object({
  keyId: Type.String(),
  algorithm: Type.String(),
  publicKeyPem: Type.String(),
  fingerprint: Type.String(),
  hint: Type.String(),
  signing: Type.Boolean(),
});

export type FindQueryT = Static<typeof FindQuery>;
export type TenantQueryT = Static<typeof TenantQuery>;
export type IdParamsT = Static<typeof IdParams>;
