/**
 * A published AI VEX document as an in-toto attestation, the form `vexctl
 * attest` writes (https://github.com/openvex/vexctl "attest"): a Statement v1
 * whose predicateType is the OpenVEX context and whose predicate is the
 * document itself, signed in a DSSE envelope of payloadType
 * application/vnd.in-toto+json. Subjects: the scanned artifact (when the
 * finding named its digest) and the document, by the sha256 of its RFC 8785
 * form, so the envelope pins the exact document a reader gets.
 */
import { z } from 'zod';
import { canonicalBytes } from '../core/canonical-json.js';
import { digestHex, sha256Digest, type Digest } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import { parseJsonText, parseWith } from '../core/validation.js';
import { decodeBase64, parseEnvelope, signEnvelope, type DsseEnvelope } from '../crypto/dsse.js';
import { buildStatement, INTOTO_PAYLOAD_TYPE, STATEMENT_TYPE_V1, type ResourceDescriptor, type Statement } from '../crypto/intoto.js';
import type { Signer } from '../crypto/signer.js';
import { parseAiOpenVex } from './openvex.js';
import { OPENVEX_PREDICATE_TYPE, type OpenVexDocument } from './vex-types.js';

/** A VEX attestation's statement: the document is the predicate. */
export type VexStatement = Statement<OpenVexDocument>;

/** Bounds the parse of an envelope read from outside; a VEX document is a few KiB. */
const MAX_ENVELOPE_BYTES = 4 * 1024 * 1024;

/** sha256 of the document's RFC 8785 canonical bytes: its subject digest. */
export function vexDocumentDigest(document: OpenVexDocument): Digest {
  return sha256Digest(canonicalBytes(document));
}

function productOf(document: OpenVexDocument): string {
  const purl = document.statements[0]?.products[0]?.['@id'];
  if (purl === undefined) throw new AttestryError('E_INVALID_INPUT', 'statements[0].products[0]: the VEX document names no product');
  return purl;
}

/**
 * The statement of a VEX attestation. The product subject (named by the
 * document's product PURL) is there only when the scanned artifact's digest
 * is known; the document subject always is.
 */
export function buildVexStatement(document: OpenVexDocument, artifactDigest?: Digest | null): VexStatement {
  const subject: ResourceDescriptor[] = [];
  if (artifactDigest !== undefined && artifactDigest !== null)
    subject.push({ name: productOf(document), digest: { sha256: digestHex(artifactDigest) } });
  subject.push({ name: document['@id'], digest: { sha256: digestHex(vexDocumentDigest(document)) } });
  return buildStatement(subject, OPENVEX_PREDICATE_TYPE, document);
}

/** Signs the statement's canonical bytes; `bytes` is the envelope as stored. */
export function signVexAttestation(statement: VexStatement, signer: Signer): { envelope: DsseEnvelope; bytes: Buffer } {
  const envelope = signEnvelope(INTOTO_PAYLOAD_TYPE, canonicalBytes(statement), [signer]);
  return { envelope, bytes: Buffer.from(JSON.stringify(envelope)) };
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'sha256 is 64 lowercase hex');
const StatementSchema = z
  .object({
    _type: z.literal(STATEMENT_TYPE_V1),
    subject: z
      .array(z.object({ name: z.string().min(1).max(4096), digest: z.object({ sha256: hex64 }).strict() }).strict())
      .min(1)
      .max(2),
    predicateType: z.literal(OPENVEX_PREDICATE_TYPE),
    predicate: z.unknown(),
  })
  .strict();

function envelopeOf(input: unknown): DsseEnvelope {
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
    return parseEnvelope(parseJsonText(text, 'VEX attestation envelope', 'E_SIGNATURE_FORMAT', { maxBytes: MAX_ENVELOPE_BYTES }));
  }
  return parseEnvelope(input);
}

/**
 * Reads a VEX attestation (the envelope as JSON text, bytes or a parsed
 * value). Checks the form only, not the signature (verifyEnvelope does that
 * against the keys the caller trusts): E_SIGNATURE_FORMAT for a wrong
 * payloadType, `_type`, predicateType or subject list, E_INVALID_INPUT for a
 * document that is not a valid AI VEX document, E_DIGEST_MISMATCH when the
 * document subject's digest is not the predicate's.
 */
export function parseVexAttestation(envelopeJson: unknown): { statement: VexStatement; document: OpenVexDocument } {
  const envelope = envelopeOf(envelopeJson);
  if (envelope.payloadType !== INTOTO_PAYLOAD_TYPE)
    throw new AttestryError(
      'E_SIGNATURE_FORMAT',
      `payloadType: a VEX attestation is ${INTOTO_PAYLOAD_TYPE}, got ${JSON.stringify(envelope.payloadType.slice(0, 120))}`,
    );
  const payload = parseJsonText(decodeBase64(envelope.payload).toString('utf8'), 'VEX attestation payload', 'E_SIGNATURE_FORMAT', {
    maxBytes: MAX_ENVELOPE_BYTES,
  });
  const raw = parseWith(StatementSchema, payload, 'VEX attestation statement', 'E_SIGNATURE_FORMAT');
  const document = parseAiOpenVex(raw.predicate);
  const docSubjects = raw.subject.filter((s) => s.name === document['@id']);
  if (docSubjects.length !== 1)
    throw new AttestryError(
      'E_SIGNATURE_FORMAT',
      `subject: expected exactly one subject named the document's @id ${document['@id']}, found ${docSubjects.length}`,
    );
  const product = productOf(document);
  const stray = raw.subject.find((s) => s.name !== document['@id'] && s.name !== product);
  if (stray !== undefined)
    throw new AttestryError(
      'E_SIGNATURE_FORMAT',
      `subject ${JSON.stringify(stray.name.slice(0, 200))}: names neither the document nor its product ${product}`,
    );
  const expected = digestHex(vexDocumentDigest(document));
  const stated = docSubjects[0]?.digest.sha256;
  if (stated !== expected)
    throw new AttestryError(
      'E_DIGEST_MISMATCH',
      `subject ${document['@id']}: digest sha256:${stated ?? '(none)'} is not the predicate's, which canonicalises to sha256:${expected}`,
    );
  return {
    statement: { _type: STATEMENT_TYPE_V1, subject: raw.subject, predicateType: OPENVEX_PREDICATE_TYPE, predicate: document },
    document,
  };
}
