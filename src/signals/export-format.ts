/**
 * What `attestry signals export` writes for one batch, and the parsers the
 * offline verifier reads it back with (parse, don't cast: every file of an
 * export is untrusted input). Field names are seed 000's (§4.2, §5.1, §7.2).
 */
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { ErrorCode } from '../core/errors.js';
import { parseWith } from '../core/validation.js';
import type { CallgraphManifest, RuntimeFactAttestationPredicate, RuntimeFactProvenance } from './types.js';

/** The files of an export directory. */
export const EXPORT_FILES = {
  /** The batch bytes exactly as received (after transfer decoding), whatever its form. */
  facts: 'facts.ndjson',
  provenance: 'provenance.json',
  attestation: 'attestation.dsse.json',
  /** The attestation record's Sigstore bundle: log entry, inclusion proof, signed checkpoint. */
  attestationBundle: 'attestation.bundle.json',
  manifest: 'manifest.json',
  manifestEnvelope: 'manifest.dsse.json',
  manifestBundle: 'manifest.bundle.json',
  /** `{keys: [{keyId, publicKeyPem}]}`, as GET /api/v1/keys/{keyId} publishes each. */
  keys: 'keys.json',
} as const;

const Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 lowercase hex>');

const ProvenanceSchema = z.object({
  provenanceId: z.string(),
  callgraphId: z.string(),
  batchId: z.string(),
  ingestedAt: z.string(),
  receivedAt: z.string(),
  tenantId: z.string(),
  source: z.string(),
  pipelineVersion: z.string(),
  provenanceHash: Digest,
  signerKeyId: z.string().nullable(),
  rekorUuid: z.string().nullable(),
  skipReason: z.string().nullable(),
  factCount: z.int().nonnegative(),
  factTypes: z.array(z.string()),
});

const ManifestSchema = z.object({
  graphId: z.string(),
  digest: z.string(),
  language: z.string(),
  source: z.string(),
  createdAt: z.string(),
  tenantId: z.string(),
  componentPurl: z.string(),
  entryPoints: z.array(z.string()),
  nodeCount: z.int().nonnegative(),
  edgeCount: z.int().nonnegative(),
  signerKeyId: z.string().nullable(),
  signature: z.string().nullable(),
  rekorUuid: z.string().nullable(),
  skipReason: z.string().optional(),
});

const PredicateSchema = z.object({
  batchId: z.string(),
  provenanceHash: z.string(),
  factCount: z.int(),
  timestamp: z.string(),
  subjects: z.array(z.string()),
});

const KeysSchema = z.object({
  keys: z.array(z.object({ keyId: z.string().min(1).max(128), publicKeyPem: z.string().max(16_384) })).max(64),
});

/** `code`: E_SIGNATURE_FORMAT for an export file (rule 8 offline), E_UNAVAILABLE for a reply that is not what an attestry server sends. */
export function parseProvenance(
  input: unknown,
  code: ErrorCode = 'E_SIGNATURE_FORMAT',
  what = 'provenance record (provenance.json)',
): RuntimeFactProvenance {
  return parseWith(ProvenanceSchema, input, what, code);
}

export function parseManifest(
  input: unknown,
  code: ErrorCode = 'E_SIGNATURE_FORMAT',
  what = 'callgraph manifest (manifest.json)',
): CallgraphManifest {
  const m = parseWith(ManifestSchema, input, what, code);
  // Optional and absent are the same manifest; the signed payload never carries skipReason.
  const { skipReason, ...rest } = m;
  return skipReason === undefined ? rest : { ...rest, skipReason };
}

export function parsePredicate(input: unknown): RuntimeFactAttestationPredicate {
  return parseWith(PredicateSchema, input, 'runtime-facts predicate', 'E_SIGNATURE_FORMAT');
}

/** keys.json → key id → public key. */
export function parseExportedKeys(input: unknown, load: (pem: string, source: string) => KeyObject): ReadonlyMap<string, KeyObject> {
  const { keys } = parseWith(KeysSchema, input, 'key list (keys.json)', 'E_SIGNATURE_FORMAT');
  return new Map(keys.map((k) => [k.keyId, load(k.publicKeyPem, `keys.json key ${k.keyId}`)]));
}

const FoundSchema = z.object({ items: z.array(z.unknown()).max(10_000), next: z.string().optional() });

/** The reply of GET /signals/callgraphs/by-purl/…: manifests and the next page's cursor. */
export function parseFound(input: unknown, code: ErrorCode, what: string): { items: CallgraphManifest[]; next?: string } {
  const found = parseWith(FoundSchema, input, what, code);
  const items = found.items.map((m, i) => parseManifest(m, code, `${what}, item ${i}`));
  return found.next === undefined ? { items } : { items, next: found.next };
}
