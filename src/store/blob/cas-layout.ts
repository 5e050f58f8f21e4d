import { AttestryError } from '../../core/errors.js';
import { parseUlid } from '../../core/ids.js';

/**
 * The CAS layout of seed 000 §3.1, extended with the two evidence kinds the
 * other seeds add. Keys are only ever built here, from validated ids, so no
 * caller-supplied string becomes a path or an object key unchecked.
 */
export const EVIDENCE_KINDS = [
  'callgraphs',
  'manifests',
  'runtime-facts',
  'attestations',
  'model-signatures',
  'ai-attestations',
  // Message signatures over any file (`sign-blob --upload`): a Sigstore bundle
  // with a messageSignature, logged as a hashedrekord entry.
  'message-signatures',
] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

export function isEvidenceKind(value: unknown): value is EvidenceKind {
  return typeof value === 'string' && (EVIDENCE_KINDS as readonly string[]).includes(value);
}

/** A blob key relative to the bucket prefix; only this module mints them. */
export type CasKey = string & { readonly __casKey: unique symbol };

const TENANT_RE = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;

/** Tenant ids are lower-case DNS-label-like names so they are safe as path segments. */
export function parseTenantId(value: unknown, field = 'tenant'): string {
  if (typeof value !== 'string' || !TENANT_RE.test(value) || value.includes('..')) {
    throw new AttestryError(
      'E_INVALID_INPUT',
      `${field}: ${JSON.stringify(typeof value === 'string' ? value.slice(0, 80) : value)} is not a tenant id (1-64 of a-z 0-9 . _ -, starting and ending with a letter or digit)`,
    );
  }
  return value;
}

const key = (s: string): CasKey => s as CasKey;

export const casLayout = {
  callgraph: (tenant: string, graphId: string) => key(`callgraphs/${parseTenantId(tenant)}/${parseUlid(graphId, 'graphId')}.ndjson.zst`),
  callgraphMeta: (tenant: string, graphId: string) => key(`callgraphs/${parseTenantId(tenant)}/${parseUlid(graphId, 'graphId')}.meta.json`),
  manifest: (graphId: string) => key(`manifests/${parseUlid(graphId, 'graphId')}.json`),
  manifestEnvelope: (graphId: string) => key(`manifests/${parseUlid(graphId, 'graphId')}.json.dsse`),
  runtimeFacts: (tenant: string, batchId: string) =>
    key(`runtime-facts/${parseTenantId(tenant)}/${parseUlid(batchId, 'batchId')}.ndjson.zst`),
  provenance: (tenant: string, batchId: string) =>
    key(`runtime-facts/${parseTenantId(tenant)}/${parseUlid(batchId, 'batchId')}.provenance.json`),
  attestation: (batchId: string) => key(`attestations/${parseUlid(batchId, 'batchId')}.dsse`),
  modelSignature: (tenant: string, id: string) => key(`model-signatures/${parseTenantId(tenant)}/${parseUlid(id, 'id')}.sigstore.json`),
  aiAttestation: (tenant: string, id: string) => key(`ai-attestations/${parseTenantId(tenant)}/${parseUlid(id, 'id')}.dsse.json`),
  messageSignature: (tenant: string, id: string) => key(`message-signatures/${parseTenantId(tenant)}/${parseUlid(id, 'id')}.sigstore.json`),
};

/** Where the evidence locker keeps one stored object of a given kind. */
export function evidenceBlobKey(kind: EvidenceKind, tenant: string, id: string): CasKey {
  switch (kind) {
    case 'attestations':
      return casLayout.attestation(id);
    case 'model-signatures':
      return casLayout.modelSignature(tenant, id);
    case 'ai-attestations':
      return casLayout.aiAttestation(tenant, id);
    case 'message-signatures':
      return casLayout.messageSignature(tenant, id);
    case 'manifests':
      return casLayout.manifestEnvelope(id);
    case 'callgraphs':
      return casLayout.callgraphMeta(tenant, id);
    case 'runtime-facts':
      return casLayout.provenance(tenant, id);
  }
}

/**
 * Re-validates a key read back from a listing: every segment must be one the
 * layout could have produced, so a stray file in the store cannot smuggle
 * `..` or an absolute path into a later operation.
 */
export function parseCasKey(value: string): CasKey {
  const segments = value.split('/');
  const ok =
    segments.length >= 2 &&
    segments.length <= 3 &&
    isEvidenceKind(segments[0]) &&
    segments.every((s) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s) && !s.includes('..'));
  if (!ok) throw new AttestryError('E_INVALID_INPUT', `"${value.slice(0, 120)}" is not a CAS key of this layout`);
  return value as CasKey;
}

/**
 * `cas://signals/some/prefix` → bucket "signals", prefix "some/prefix".
 * The bucket is the S3 bucket, or a directory under the filesystem root.
 */
export function parseBucketPrefix(value: string): { bucket: string; prefix: string } {
  const m = /^cas:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])((?:\/[A-Za-z0-9._-]+)*)\/?$/.exec(value);
  if (!m || value.includes('..')) {
    throw new AttestryError('E_CONFIG', `BucketPrefix "${value}" must look like cas://<bucket>[/<prefix>] (bucket: 3-63 of a-z 0-9 . -)`);
  }
  return { bucket: m[1] as string, prefix: (m[2] ?? '').replace(/^\//, '') };
}
