import type { KindDeclaration } from '../kinds/declaration.js';

/**
 * Message signatures over any file (`sign-blob --upload`): a Sigstore bundle
 * with a messageSignature, logged as a hashedrekord entry. The bundle's shape,
 * not a predicate type, makes an upload one (classify.ts), so the kind claims
 * no types. Generic evidence like `attestations`, with exactly its grants.
 */
export const MESSAGE_SIGNATURES: KindDeclaration = {
  name: 'message-signatures',
  description: 'Message signatures over any file (Sigstore bundles with a messageSignature)',
  blobs: { primary: 'message-signatures/{tenant}/{id}.sigstore.json' },
  access: { 'signals-service': 'rw', 'policy-engine': 'r', 'audit-service': 'r', admin: 'rw' },
  retention: { keep: 'forever' },
};

export const EVIDENCE_LOCKER_KINDS: readonly KindDeclaration[] = [MESSAGE_SIGNATURES];
