import type { KindDeclaration } from '../kinds/declaration.js';

/** The DSSE payload type of AI attestations (a statement, or a bare predicate document). */
export const AI_PAYLOAD_TYPE = 'application/vnd.stellaops.ai-attestation+json';

export const AI_ATTESTATIONS: KindDeclaration = {
  name: 'ai-attestations',
  description: 'Attestations about AI artifacts (DSSE, AI artifact predicate or AI payload type)',
  predicateTypes: ['https://stellaops.org/attestation/ai-artifact/v1'],
  payloadTypes: [AI_PAYLOAD_TYPE],
  blobs: { primary: 'ai-attestations/{tenant}/{id}.dsse.json' },
  // The AI service writes them, reviewers read what they approve, policy and audit read everything.
  access: { 'policy-engine': 'r', 'audit-service': 'r', 'ai-service': 'rw', reviewer: 'r', admin: 'rw' },
  retention: { keep: 'forever' },
};

export const AI_KINDS: readonly KindDeclaration[] = [AI_ATTESTATIONS];
