/**
 * Sigstore bundle v0.3 (sigstore/protobuf-specs sigstore_bundle.proto, JSON
 * mapping) in the shape OMS key-based signatures use: a DSSE envelope plus
 * `verificationMaterial.publicKey.hint`. Older model_signing bundles carry
 * `publicKey.rawBytes` (+ `keyDetails`); those are read too.
 */
import { z } from 'zod';
import { parseWith } from '../core/validation.js';
import { DsseEnvelopeSchema, type DsseEnvelope } from './dsse.js';

export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export interface KeyBundle {
  mediaType: string;
  verificationMaterial: {
    publicKey?: { hint?: string; rawBytes?: string; keyDetails?: string };
    x509CertificateChain?: { certificates: { rawBytes: string }[] };
    certificate?: { rawBytes: string };
    tlogEntries?: unknown[];
    timestampVerificationData?: unknown;
  };
  dsseEnvelope: DsseEnvelope;
}

export function buildKeyBundle(envelope: DsseEnvelope, hint: string): KeyBundle {
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: { publicKey: { hint }, tlogEntries: [] },
    dsseEnvelope: envelope,
  };
}

const BundleSchema = z.object({
  mediaType: z
    .string()
    .regex(/^application\/vnd\.dev\.sigstore\.bundle(\.v0\.[123]\+json|\+json;version=0\.[123])$/, 'not a Sigstore bundle media type'),
  verificationMaterial: z.looseObject({
    publicKey: z
      .looseObject({ hint: z.string().optional(), rawBytes: z.string().optional(), keyDetails: z.string().optional() })
      .optional(),
    x509CertificateChain: z.looseObject({ certificates: z.array(z.looseObject({ rawBytes: z.string() })).min(1) }).optional(),
    certificate: z.looseObject({ rawBytes: z.string() }).optional(),
    tlogEntries: z.array(z.looseObject({})).max(64).optional(),
    timestampVerificationData: z.unknown().optional(),
  }),
  dsseEnvelope: DsseEnvelopeSchema,
});

export function parseBundle(input: unknown): KeyBundle {
  return parseWith(BundleSchema, input, 'Sigstore bundle', 'E_SIGNATURE_FORMAT');
}
