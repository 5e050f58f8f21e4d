import { EVIDENCE_KINDS, type EvidenceKind } from '../store/blob/cas-layout.js';

export { ROLES, parseRole, type Role } from '../core/roles.js';
import type { Role } from '../core/roles.js';

export type Action = 'read' | 'write';
type Grant = 'rw' | 'r' | 'w' | '-';

/**
 * THE access matrix. Rows for the first four kinds are seed 000 §3.2
 * verbatim (Signals Service read/write, Policy Engine read, Scanner Worker
 * write callgraphs only, Audit Service read, all others deny). The last two
 * columns extend it to the kinds of the other seeds: the AI service writes
 * AI attestations and model signatures, reviewers read what they approve,
 * policy and audit read everything, admin does everything.
 * `message-signatures` (bare signatures over any file, `sign-blob --upload`)
 * are generic evidence like `attestations` and have exactly its grants.
 * Every check in the product goes through `can()` below.
 */
export const ACCESS_MATRIX: Readonly<Record<Role, Readonly<Record<EvidenceKind, Grant>>>> = {
  //                  callgraphs  manifests  runtime-facts  attestations  model-signatures  ai-attestations  message-signatures
  'signals-service': {
    callgraphs: 'rw',
    manifests: 'rw',
    'runtime-facts': 'rw',
    attestations: 'rw',
    'model-signatures': '-',
    'ai-attestations': '-',
    'message-signatures': 'rw',
  },
  'policy-engine': {
    callgraphs: 'r',
    manifests: 'r',
    'runtime-facts': 'r',
    attestations: 'r',
    'model-signatures': 'r',
    'ai-attestations': 'r',
    'message-signatures': 'r',
  },
  'scanner-worker': {
    callgraphs: 'w',
    manifests: '-',
    'runtime-facts': '-',
    attestations: '-',
    'model-signatures': '-',
    'ai-attestations': '-',
    'message-signatures': '-',
  },
  'audit-service': {
    callgraphs: 'r',
    manifests: 'r',
    'runtime-facts': 'r',
    attestations: 'r',
    'model-signatures': 'r',
    'ai-attestations': 'r',
    'message-signatures': 'r',
  },
  'ai-service': {
    callgraphs: '-',
    manifests: '-',
    'runtime-facts': '-',
    attestations: '-',
    'model-signatures': 'rw',
    'ai-attestations': 'rw',
    'message-signatures': '-',
  },
  reviewer: {
    callgraphs: '-',
    manifests: '-',
    'runtime-facts': '-',
    attestations: '-',
    'model-signatures': 'r',
    'ai-attestations': 'r',
    'message-signatures': '-',
  },
  admin: {
    callgraphs: 'rw',
    manifests: 'rw',
    'runtime-facts': 'rw',
    attestations: 'rw',
    'model-signatures': 'rw',
    'ai-attestations': 'rw',
    'message-signatures': 'rw',
  },
};

export function can(role: Role, kind: EvidenceKind, action: Action): boolean {
  const grant = ACCESS_MATRIX[role][kind];
  return action === 'read' ? grant === 'rw' || grant === 'r' : grant === 'rw' || grant === 'w';
}

/** The kinds a role may perform `action` on (used to filter searches). */
export function kindsAllowed(role: Role, action: Action): EvidenceKind[] {
  return EVIDENCE_KINDS.filter((kind) => can(role, kind, action));
}

/** Administrative operations (tenants, tokens, trusted keys) belong to admin alone. */
export function canAdminister(role: Role): boolean {
  return role === 'admin';
}
