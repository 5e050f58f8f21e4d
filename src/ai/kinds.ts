import type { KindDeclaration } from '../kinds/declaration.js';

/** The DSSE payload type of AI attestations (a statement, or a bare predicate document). */
export const AI_PAYLOAD_TYPE = 'application/vnd.stellaops.ai-attestation+json';
/** The DSSE payload type of the signed AI audit records (kept here so the kinds stay data-only). */
export const AI_AUDIT_RECORD_PAYLOAD_TYPE = 'application/vnd.attestry.ai-audit+json';

// Seed 002 "Attestation Storage": ai-attestations/YYYY/MM/DD/{artifactId}.{json,dsse.json} and replay-….json, under the tenant.
const DAY = 'ai-attestations/{tenant}/{yyyy}/{mm}/{dd}';

export const AI_ATTESTATIONS: KindDeclaration = {
  name: 'ai-attestations',
  description: 'Attestations about AI artifacts (DSSE, AI artifact predicate or AI payload type)',
  predicateTypes: ['https://stellaops.org/attestation/ai-artifact/v1'],
  payloadTypes: [AI_PAYLOAD_TYPE],
  blobs: {
    primary: `${DAY}/ai-artifact-{yyyymmdd}-{id}.dsse.json`,
    statement: `${DAY}/ai-artifact-{yyyymmdd}-{id}.json`,
    manifest: `${DAY}/replay-{yyyymmdd}-{id}.json`,
  },
  // The AI service writes them, reviewers read what they approve, policy and audit read everything.
  access: { 'policy-engine': 'r', 'audit-service': 'r', 'ai-service': 'rw', reviewer: 'r', admin: 'rw' },
  retention: { keep: 'forever' },
};

/** One signed audit record per AI operation (generation, verification, replay), hash-chained per tenant. */
export const AI_AUDIT_RECORDS: KindDeclaration = {
  name: 'ai-audit-records',
  description: 'Signed, hash-chained audit records of AI generations, verifications and replays',
  payloadTypes: [AI_AUDIT_RECORD_PAYLOAD_TYPE],
  blobs: { primary: 'ai-audit-records/{tenant}/{id}.dsse.json' },
  access: { 'ai-service': 'rw', 'audit-service': 'r', reviewer: 'r', 'policy-engine': 'r', admin: 'rw' },
  // An audit trail with gaps is no audit trail.
  retention: { keep: 'forever' },
};

/** The in-toto predicate type of review transition records (issue 17). */
export const AI_REVIEW_PREDICATE_TYPE = 'https://attestry.dev/attestation/ai-review/v1';

/** One signed transition of an AI artifact's authority (approval, rejection, ground truth, override, publication). */
export const AI_REVIEWS: KindDeclaration = {
  name: 'ai-reviews',
  description: 'Signed authority transitions of AI artifacts: approvals, rejections, ground-truth checks, publications',
  predicateTypes: [AI_REVIEW_PREDICATE_TYPE],
  blobs: { primary: 'ai-reviews/{tenant}/{id}.dsse.json' },
  // Reviewers decide; the AI service, policy and audit read; nobody else (issue 17 "Access").
  access: { reviewer: 'rw', 'ai-service': 'r', 'policy-engine': 'r', 'audit-service': 'r', admin: 'r' },
  retention: { keep: 'forever' },
};

/** Published OpenVEX documents of approved VEX drafts, as in-toto attestations (what `vexctl attest` writes). */
export const VEX_STATEMENTS: KindDeclaration = {
  name: 'vex-statements',
  description: 'Published OpenVEX 0.2.0 documents (in-toto attestations) of approved AI VEX drafts',
  predicateTypes: ['https://openvex.dev/ns/v0.2.0'],
  blobs: { primary: 'vex-statements/{tenant}/{id}.dsse.json' },
  // Reviewers publish; scanners and everyone downstream read what is published.
  access: { reviewer: 'rw', 'ai-service': 'r', 'policy-engine': 'r', 'audit-service': 'r', 'scanner-worker': 'r', admin: 'r' },
  retention: { keep: 'forever' },
};

export const AI_KINDS: readonly KindDeclaration[] = [AI_ATTESTATIONS, AI_AUDIT_RECORDS, AI_REVIEWS, VEX_STATEMENTS];
