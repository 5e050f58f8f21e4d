/**
 * The signed form of a review transition (issue 17): an in-toto Statement v1
 * whose subject is the draft's attestation (the DSSE envelope digest, or the
 * statement digest of an unsigned draft) and whose predicate is the
 * TransitionRecord, in a DSSE envelope signed by the AI key. `digest` (the
 * chain link) is sha256 of the record's RFC 8785 form.
 */
import { z } from 'zod';
import { canonicalBytes } from '../core/canonical-json.js';
import { digestHex, sha256Digest, type Digest } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import { parseWith } from '../core/validation.js';
import { decodeBase64, parseEnvelope, signEnvelope, type DsseEnvelope } from '../crypto/dsse.js';
import { buildStatement, INTOTO_PAYLOAD_TYPE, parseStatement, type Statement } from '../crypto/intoto.js';
import type { Signer } from '../crypto/signer.js';
import { AI_REVIEW_PREDICATE_TYPE } from './kinds.js';
import { TRANSITION_KINDS, type TransitionRecord } from './review-use-cases.js';
import { AUTHORITIES } from './types.js';

export const transitionDigestOf = (record: TransitionRecord): Digest => sha256Digest(canonicalBytes(record));

export function signTransition(record: TransitionRecord, signer: Signer): { envelope: DsseEnvelope; bytes: Buffer } {
  const subjectDigest = record.draft.attestationDigest ?? record.draft.statementDigest;
  const statement = buildStatement(
    [{ name: `${record.artifactId}.attestation`, digest: { sha256: digestHex(subjectDigest) } }],
    AI_REVIEW_PREDICATE_TYPE,
    record,
  );
  const envelope = signEnvelope(INTOTO_PAYLOAD_TYPE, canonicalBytes(statement), [signer]);
  return { envelope, bytes: Buffer.from(JSON.stringify(envelope)) };
}

const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 lowercase hex>');
const text = z.string().max(16_384);
const id = z.string().min(1).max(256);

const GroundTruthSchema = z
  .object({
    outcome: z.enum(['agrees', 'disagrees', 'inconclusive']),
    callgraphId: id,
    symbol: z.string().min(1).max(4096),
    verdict: z.object({ verdictId: id, digest, state: id, evidenceDigest: digest, componentPurl: z.string().min(1).max(2048) }).strict(),
    impliedStatus: id,
    message: text,
  })
  .strict();

const TransitionSchema = z
  .object({
    artifactId: id,
    tenant: id,
    sequence: z.int().positive(),
    kind: z.enum(TRANSITION_KINDS),
    fromAuthority: z.enum(AUTHORITIES),
    toAuthority: z.enum(AUTHORITIES),
    decision: z.enum(['pending', 'approved', 'rejected']),
    principal: z.object({ tokenId: id, role: id }).strict(),
    timestamp: z.iso.datetime({ offset: true }),
    comment: text.nullable(),
    reason: text.nullable(),
    draft: z.object({ statementDigest: digest, attestationDigest: digest.nullable(), outputHash: digest }).strict(),
    approvals: z.object({ count: z.int().nonnegative(), required: z.int().positive(), reviewers: z.array(id).max(64) }).strict(),
    groundTruth: GroundTruthSchema.nullable(),
    publication: z
      .object({ vexId: z.string().min(1).max(4096), attestationDigest: digest })
      .strict()
      .nullable(),
    previousDigest: digest.nullable(),
  })
  .strict();

export function parseTransitionRecord(input: unknown, what = 'transition record'): TransitionRecord {
  return parseWith(TransitionSchema, input, what) as TransitionRecord;
}

/** A transition envelope read back: its statement and record, checked to agree with each other. */
export function parseTransitionEnvelope(json: unknown): {
  envelope: DsseEnvelope;
  statement: Statement<TransitionRecord>;
  record: TransitionRecord;
} {
  const envelope = parseEnvelope(json);
  if (envelope.payloadType !== INTOTO_PAYLOAD_TYPE)
    throw new AttestryError(
      'E_SIGNATURE_FORMAT',
      `a transition record has payloadType ${INTOTO_PAYLOAD_TYPE}, not ${envelope.payloadType}`,
    );
  const statement = parseStatement(JSON.parse(decodeBase64(envelope.payload).toString('utf8')));
  if (statement.predicateType !== AI_REVIEW_PREDICATE_TYPE)
    throw new AttestryError(
      'E_SIGNATURE_FORMAT',
      `a transition record's predicateType is ${AI_REVIEW_PREDICATE_TYPE}, not ${statement.predicateType}`,
    );
  const record = parseTransitionRecord(statement.predicate);
  const subject = record.draft.attestationDigest ?? record.draft.statementDigest;
  if (statement.subject[0]?.digest['sha256'] !== digestHex(subject))
    throw new AttestryError('E_SIGNATURE_FORMAT', `the transition's subject is not the draft attestation it names (${subject})`);
  return { envelope, statement: statement as Statement<TransitionRecord>, record };
}
