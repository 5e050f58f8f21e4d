/**
 * Signed reachability verdicts (docs/reachability.md "Verdicts"): an in-toto
 * Statement v1 whose subjects are the stored callgraph blob and the symbol,
 * whose predicate is the derivation plus its place in the verdict chain, in
 * a DSSE envelope signed by the Signals service key. Parsing is strict and
 * bounded: a verdict file is untrusted input to `verify-verdict`.
 */
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { canonicalBytes, canonicalize } from '../core/canonical-json.js';
import { sha256Digest, sha256Hex } from '../core/digest.js';
import { AttestryError, isAttestryError, type ErrorCode } from '../core/errors.js';
import { parseJsonText, parseWith } from '../core/validation.js';
import { decodeBase64, firstVerifiedSignature, parseEnvelope, signEnvelope, type DsseEnvelope } from '../crypto/dsse.js';
import { buildStatement, INTOTO_PAYLOAD_TYPE, parseStatement, type Statement } from '../crypto/intoto.js';
import { createVerifier, type Signer } from '../crypto/signer.js';
import { parseInstant } from './facts-validate.js';
import {
  REACHABILITY_PREDICATE_TYPE,
  REACHABILITY_STATES,
  type ReachabilityDerivation,
  type ReachabilityPredicate,
} from './reach-types.js';

/** Largest path / batch list a verdict may carry (a 1M-edge graph's paths are far shorter). */
export const MAX_VERDICT_PATH = 100_000;
export const MAX_VERDICT_BATCHES = 100_000;
/** Largest verdict envelope read back: 100k cited batches of ~600 bytes, base64'd, fit. */
export const MAX_VERDICT_BYTES = 128 * 1024 * 1024;
const MAX_TEXT = 16_384;

export interface VerdictSubject {
  name: string;
  digest: { sha256: string };
}

const text = z.string().max(MAX_TEXT);
const nonEmpty = z.string().min(1).max(MAX_TEXT);
const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 lowercase hex>');
const instant = z
  .string()
  .max(64)
  .refine((s) => parseInstant(s) !== null, 'an ISO-8601 instant such as 2026-12-02T10:00:00Z');
const count = z.int().nonnegative();
const logIndex = z.int().nonnegative().nullable();
const edgeClass = z.enum(['static', 'runtime', 'heuristic', 'dynamic', 'unresolved']);
const list = <T extends z.ZodType>(item: T, max: number) => z.array(item).max(max, `at most ${max} entries`);

const StaticSchema = z.object({
  state: z.enum(['reachable', 'uncertain', 'unreachable', 'absent']),
  matchedNodes: list(text, MAX_VERDICT_PATH),
  entryPoint: text.nullable(),
  path: list(text, MAX_VERDICT_PATH),
  steps: list(z.object({ nodeId: text, symbol: text, edgeKind: edgeClass.nullable() }), MAX_VERDICT_PATH),
  uncertainEdges: list(edgeClass, 5),
});

const RuntimeSchema = z.object({
  state: z.enum(['observed', 'unobserved', 'none']),
  hitCount: count,
  firstSeen: instant.nullable(),
  lastSeen: instant.nullable(),
  batchCount: count,
  sources: list(text, MAX_VERDICT_BATCHES),
  windowBatchCount: count,
  windowSources: list(text, MAX_VERDICT_BATCHES),
});

const CallgraphSchema = z.object({
  graphId: nonEmpty,
  tenantId: nonEmpty,
  componentPurl: nonEmpty,
  digest,
  contentDigest: digest,
  manifestDigest: digest,
  manifestAttestationId: text.nullable(),
  manifestLogIndex: logIndex,
  manifestRekorUuid: text.nullable(),
});

const BatchSchema = z.object({
  batchId: nonEmpty,
  provenanceId: nonEmpty,
  provenanceHash: digest,
  receivedAt: instant,
  source: text,
  attestationId: text.nullable(),
  attestationDigest: digest.nullable(),
  logIndex,
  rekorUuid: text.nullable(),
  hitCount: count,
  firstSeen: instant.nullable(),
  lastSeen: instant.nullable(),
});

const derivationShape = {
  rulesVersion: nonEmpty,
  callgraphId: nonEmpty,
  tenantId: nonEmpty,
  componentPurl: nonEmpty,
  symbol: nonEmpty,
  vulnerability: text.nullable(),
  state: z.enum(REACHABILITY_STATES),
  static: StaticSchema,
  runtime: RuntimeSchema,
  window: z.object({ since: instant.nullable(), until: instant.nullable() }),
  thresholds: z.object({ minBatches: count, minSources: count }),
  evidence: z.object({
    callgraph: CallgraphSchema,
    manifestDigest: digest,
    provenanceIds: list(text, MAX_VERDICT_BATCHES),
    batches: list(BatchSchema, MAX_VERDICT_BATCHES),
  }),
};

/** The derivation's exact shape: what evidenceDigest covers, and what the API documents its answers with. */
export const ReachabilityDerivationSchema = z.object(derivationShape);
const DerivationSchema = ReachabilityDerivationSchema;

const PredicateSchema = z.object({
  ...derivationShape,
  decidedAt: instant,
  sequence: z.int().min(1),
  previous: z.object({ attestationId: nonEmpty, digest }).nullable(),
  evidenceDigest: digest,
});

/**
 * `sha256:` of the RFC 8785 JSON of the derivation. The input is projected
 * through the schema first, so a predicate, an answer, or a derivation whose
 * static evidence carries extra fields all digest to what a verifier that
 * parsed the predicate computes.
 */
export function evidenceDigestOf(d: ReachabilityDerivation): string {
  const derivation = parseWith(DerivationSchema, d, 'reachability derivation', 'E_INTERNAL');
  return sha256Digest(canonicalBytes(derivation));
}

/** The stored callgraph blob (by its content digest) and the symbol (by the sha256 of its UTF-8). */
export function verdictSubjects(d: ReachabilityDerivation): VerdictSubject[] {
  const cg = d.evidence.callgraph;
  return [
    { name: `callgraphs/${cg.tenantId}/${cg.graphId}.ndjson.zst`, digest: { sha256: cg.contentDigest.replace(/^sha256:/, '') } },
    { name: d.symbol, digest: { sha256: sha256Hex(Buffer.from(d.symbol, 'utf8')) } },
  ];
}

export function signVerdict(p: ReachabilityPredicate, signer: Signer): { envelope: DsseEnvelope; bytes: Buffer } {
  const predicate = parseReachabilityPredicate(p, 'E_INTERNAL');
  // A verdict whose digest does not name its own derivation would defeat the chain's dedupe.
  const expected = evidenceDigestOf(predicate);
  if (predicate.evidenceDigest !== expected) {
    throw new AttestryError('E_INTERNAL', `verdict evidenceDigest ${predicate.evidenceDigest} is not its derivation's (${expected})`);
  }
  const statement = buildStatement(
    verdictSubjects(predicate).map((v) => ({ name: v.name, digest: { ...v.digest } })),
    REACHABILITY_PREDICATE_TYPE,
    predicate,
  );
  const envelope = signEnvelope(INTOTO_PAYLOAD_TYPE, canonicalBytes(statement), [signer]);
  return { envelope, bytes: Buffer.from(JSON.stringify(envelope), 'utf8') };
}

export function parseReachabilityPredicate(input: unknown, code: ErrorCode = 'E_SIGNATURE_FORMAT'): ReachabilityPredicate {
  const parsed: ReachabilityPredicate = parseWith(PredicateSchema, input, 'reachability verdict predicate', code);
  return parsed;
}

export interface ParsedVerdict {
  readonly envelope: DsseEnvelope;
  readonly statement: Statement;
  readonly predicate: ReachabilityPredicate;
  readonly subjects: VerdictSubject[];
}

/**
 * DSSE bytes → envelope, statement and predicate, without checking the
 * signature (verifyVerdictSignature does): the payloadType is in-toto's, the
 * predicateType the reachability one, and the subjects exactly those the
 * predicate implies (so a verdict cannot name one callgraph and cite another).
 */
export function parseVerdictEnvelope(bytes: Uint8Array, code: ErrorCode = 'E_SIGNATURE_FORMAT'): ParsedVerdict {
  if (bytes.length > MAX_VERDICT_BYTES) {
    throw new AttestryError(code, `a verdict envelope of ${bytes.length} bytes is larger than ${MAX_VERDICT_BYTES}`);
  }
  const fail = (message: string): never => {
    throw new AttestryError(code, `reachability verdict: ${message}`);
  };
  const envelope = rethrowAs(code, () =>
    parseEnvelope(parseJsonText(Buffer.from(bytes).toString('utf8'), 'reachability verdict envelope', code)),
  );
  if (envelope.payloadType !== INTOTO_PAYLOAD_TYPE) fail(`payloadType is ${envelope.payloadType}, expected ${INTOTO_PAYLOAD_TYPE}`);
  const payload = decodeBase64(envelope.payload).toString('utf8');
  const statement = parseStatement(parseJsonText(payload, 'reachability verdict statement', code), code);
  if (statement.predicateType !== REACHABILITY_PREDICATE_TYPE) {
    fail(`predicateType is ${statement.predicateType}, expected ${REACHABILITY_PREDICATE_TYPE}`);
  }
  const predicate = parseReachabilityPredicate(statement.predicate, code);
  const subjects = verdictSubjects(predicate);
  if (canonicalize(statement.subject) !== canonicalize(subjects)) {
    fail(`the statement's subjects are not the callgraph blob and symbol its predicate names (expected ${canonicalize(subjects)})`);
  }
  return { envelope, statement, predicate, subjects };
}

function rethrowAs<T>(code: ErrorCode, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isAttestryError(e) && e.code !== code && e.code === 'E_SIGNATURE_FORMAT') throw new AttestryError(code, e.message, { cause: e });
    throw e;
  }
}

/** The envelope's signature that verifies with `key`; E_SIGNATURE_INVALID naming the key otherwise. */
export function verifyVerdictSignature(envelope: DsseEnvelope, key: KeyObject, keyId: string): Buffer {
  try {
    return firstVerifiedSignature(envelope, [createVerifier(key, keyId)], false).signature;
  } catch (e) {
    if (isAttestryError(e) && e.code === 'E_SIGNATURE_INVALID') {
      throw new AttestryError('E_SIGNATURE_INVALID', `reachability verdict: no signature verifies with key ${keyId}`, { cause: e });
    }
    throw e;
  }
}
