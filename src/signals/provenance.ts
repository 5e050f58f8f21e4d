import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { canonicalBytes } from '../core/canonical-json.js';
import { digestHex, isDigest, type Digest } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import { parseJsonText, parseWith } from '../core/validation.js';
import { decodeBase64, parseEnvelope, signEnvelope, verifyEnvelope, type DsseEnvelope } from '../crypto/dsse.js';
import { buildStatement, INTOTO_PAYLOAD_TYPE, parseStatement, type Statement } from '../crypto/intoto.js';
import { createVerifier, type Signer } from '../crypto/signer.js';
import { RUNTIME_FACTS_PREDICATE_TYPE, type RuntimeFactAttestationPredicate, type RuntimeFactProvenance } from './types.js';

/**
 * Seed 000 §5.1 provenance records and §7.2 batch attestations: building
 * them, their stored bytes, and reading them back. Pure: no stores here, so
 * the offline verifier can use the same functions the service does.
 */

export interface ProvenanceFields {
  readonly provenanceId: string;
  readonly callgraphId: string;
  readonly batchId: string;
  readonly ingestedAt: Date | string;
  readonly receivedAt: Date | string;
  readonly tenantId: string;
  readonly source: string;
  readonly pipelineVersion: string;
  readonly provenanceHash: Digest;
  readonly signerKeyId: string | null;
  readonly rekorUuid: string | null;
  readonly skipReason: string | null;
  readonly factCount: number;
  readonly factTypes: readonly string[];
}

const iso = (t: Date | string): string => (typeof t === 'string' ? new Date(t).toISOString() : t.toISOString());

/** The record with its fields in §5.1's order (the JSON reads like the seed's record). */
export function buildProvenance(f: ProvenanceFields): RuntimeFactProvenance {
  return {
    provenanceId: f.provenanceId,
    callgraphId: f.callgraphId,
    batchId: f.batchId,
    ingestedAt: iso(f.ingestedAt),
    receivedAt: iso(f.receivedAt),
    tenantId: f.tenantId,
    source: f.source,
    pipelineVersion: f.pipelineVersion,
    provenanceHash: f.provenanceHash,
    signerKeyId: f.signerKeyId,
    rekorUuid: f.rekorUuid,
    skipReason: f.skipReason,
    factCount: f.factCount,
    factTypes: [...f.factTypes],
  };
}

/** The `.provenance.json` blob: the record as JSON, indented for people who open the bucket. */
export function provenanceBytes(p: RuntimeFactProvenance): Buffer {
  return Buffer.from(`${JSON.stringify(p, null, 2)}\n`, 'utf8');
}

const isoText = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO-8601 time');
const ProvenanceSchema = z
  .object({
    provenanceId: z.string().min(1),
    callgraphId: z.string().min(1),
    batchId: z.string().min(1),
    ingestedAt: isoText,
    receivedAt: isoText,
    tenantId: z.string().min(1),
    source: z.string(),
    pipelineVersion: z.string(),
    provenanceHash: z.string().refine(isDigest, 'sha256:<64 hex>'),
    signerKeyId: z.string().nullable(),
    rekorUuid: z.string().nullable(),
    skipReason: z.string().nullable(),
    factCount: z.number().int().nonnegative(),
    factTypes: z.array(z.string()),
  })
  .strict();

/** Reads a `.provenance.json` blob back; a blob that is not one is damage (`code`, E_INTEGRITY by default). */
export function parseProvenance(
  bytes: Uint8Array,
  what: string,
  code: 'E_INTEGRITY' | 'E_INVALID_INPUT' = 'E_INTEGRITY',
): RuntimeFactProvenance {
  const json = parseJsonText(Buffer.from(bytes).toString('utf8'), what, code);
  return parseWith(ProvenanceSchema, json, what, code);
}

// ---- batch attestation (§7.2) ---------------------------------------------

export interface AttestationFields {
  readonly batchId: string;
  readonly provenanceHash: Digest;
  readonly factCount: number;
  /** When the batch was ingested; the provenance record's `ingestedAt` is the same instant. */
  readonly timestamp: Date | string;
  readonly callgraphId: string;
}

/**
 * The in-toto Statement v1: its one subject is the fact blob (named
 * `runtime-facts/<batchId>`, digest = provenanceHash), its predicate the
 * §7.2 record with the callgraph ids as `subjects`.
 */
export function batchStatement(f: AttestationFields): Statement<RuntimeFactAttestationPredicate> {
  return buildStatement(
    [{ name: `runtime-facts/${f.batchId}`, digest: { sha256: digestHex(f.provenanceHash) } }],
    RUNTIME_FACTS_PREDICATE_TYPE,
    {
      batchId: f.batchId,
      provenanceHash: f.provenanceHash,
      factCount: f.factCount,
      timestamp: iso(f.timestamp),
      subjects: [f.callgraphId],
    },
  );
}

/** Signs the statement (DSSE over PAE, payload = RFC 8785 JSON) and returns the envelope's JSON bytes. */
export function signBatchAttestation(f: AttestationFields, signer: Signer): { envelope: DsseEnvelope; bytes: Buffer } {
  const envelope = signEnvelope(INTOTO_PAYLOAD_TYPE, canonicalBytes(batchStatement(f)), [signer]);
  return { envelope, bytes: Buffer.from(JSON.stringify(envelope), 'utf8') };
}

const PredicateSchema = z.object({
  batchId: z.string().min(1),
  provenanceHash: z.string().refine(isDigest, 'sha256:<64 hex>'),
  factCount: z.number().int().nonnegative(),
  timestamp: isoText,
  subjects: z.array(z.string()),
});

export interface ParsedBatchAttestation {
  readonly envelope: DsseEnvelope;
  readonly statement: Statement;
  readonly predicate: RuntimeFactAttestationPredicate;
}

/**
 * Reads a batch attestation's shape without checking its signature: a DSSE
 * envelope (E_SIGNATURE_FORMAT otherwise) of an in-toto statement of the
 * runtime-facts predicate, whose one subject's sha256 is the predicate's
 * provenanceHash.
 */
export function parseBatchAttestation(bytes: Uint8Array): ParsedBatchAttestation {
  const envelope = parseEnvelope(parseJsonText(Buffer.from(bytes).toString('utf8'), 'batch attestation', 'E_SIGNATURE_FORMAT'));
  if (envelope.payloadType !== INTOTO_PAYLOAD_TYPE) {
    throw new AttestryError(
      'E_SIGNATURE_FORMAT',
      `batch attestation payloadType is ${envelope.payloadType}, expected ${INTOTO_PAYLOAD_TYPE}`,
    );
  }
  const payload = decodeBase64(envelope.payload).toString('utf8');
  const statement = parseStatement(parseJsonText(payload, 'batch attestation payload', 'E_SIGNATURE_FORMAT'));
  if (statement.predicateType !== RUNTIME_FACTS_PREDICATE_TYPE) {
    throw new AttestryError(
      'E_SIGNATURE_FORMAT',
      `batch attestation predicateType is ${statement.predicateType}, expected ${RUNTIME_FACTS_PREDICATE_TYPE}`,
    );
  }
  const predicate = parseWith(PredicateSchema, statement.predicate, 'runtime-facts predicate', 'E_SIGNATURE_FORMAT');
  const subject = statement.subject[0];
  if (statement.subject.length !== 1 || subject?.digest['sha256'] !== predicate.provenanceHash.slice('sha256:'.length)) {
    throw new AttestryError(
      'E_SIGNATURE_FORMAT',
      'batch attestation subject must be the one fact blob whose sha256 is the predicate provenanceHash',
    );
  }
  return { envelope, statement, predicate };
}

export interface VerifiedBatchAttestation extends ParsedBatchAttestation {
  readonly verifiedKeyIds: readonly string[];
}

/** parseBatchAttestation, then the DSSE signature over PAE against one of `keys` (E_SIGNATURE_INVALID). */
export function verifyBatchAttestation(
  bytes: Uint8Array,
  keys: readonly { readonly keyId: string; readonly publicKey: KeyObject }[],
): VerifiedBatchAttestation {
  const parsed = parseBatchAttestation(bytes);
  const verified = verifyEnvelope(
    parsed.envelope,
    keys.map((k) => createVerifier(k.publicKey, k.keyId)),
  );
  return { ...parsed, verifiedKeyIds: verified.verifiedKeyIds };
}
