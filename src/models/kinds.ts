import type { KindDeclaration } from '../kinds/declaration.js';

/**
 * Model signatures (OpenSSF model signing): Sigstore bundles whose DSSE
 * statement has one of the OMS predicate types (oms.ts names the same two).
 */
export const MODEL_SIGNATURES: KindDeclaration = {
  name: 'model-signatures',
  description: 'OpenSSF model signatures (Sigstore bundles over a model directory manifest)',
  predicateTypes: ['https://model_signing/signature/v1.0', 'https://model_signing/Digests/v0.1'],
  blobs: { primary: 'model-signatures/{tenant}/{id}.sigstore.json' },
  // The AI service writes them, reviewers read what they approve, policy and audit read everything.
  access: { 'policy-engine': 'r', 'audit-service': 'r', 'ai-service': 'rw', reviewer: 'r', admin: 'rw' },
  retention: { keep: 'forever' },
};

export const MODEL_KINDS: readonly KindDeclaration[] = [MODEL_SIGNATURES];
