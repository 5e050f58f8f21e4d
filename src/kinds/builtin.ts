import { AI_KINDS } from '../ai/kinds.js';
import { EVIDENCE_LOCKER_KINDS } from '../evidence/kinds.js';
import { MODEL_KINDS } from '../models/kinds.js';
import { SIGNALS_KINDS } from '../signals/kinds.js';
import type { KindDeclaration } from './declaration.js';
import { KindRegistry } from './registry.js';

/**
 * The product's evidence kinds: each domain declares its own in its folder
 * (data only: those files import nothing but the declaration type), and a
 * new domain adds one line here. Order is the order of listings and
 * matrices (seed 000's four kinds first).
 */
export const BUILTIN_KINDS: readonly KindDeclaration[] = [...SIGNALS_KINDS, ...MODEL_KINDS, ...AI_KINDS, ...EVIDENCE_LOCKER_KINDS];

let builtin: KindRegistry | undefined;

/** The registry of BUILTIN_KINDS, built (and validated) on first use. */
export function builtinKinds(): KindRegistry {
  builtin ??= new KindRegistry(BUILTIN_KINDS);
  return builtin;
}

/**
 * A kind name. Validated by a registry (`has`/`require`) rather than fixed
 * by a union, so a domain's kinds and a test's throwaway kind are kinds too.
 */
export type EvidenceKind = string;

/** The builtin kinds' names. */
export const EVIDENCE_KINDS: readonly EvidenceKind[] = builtinKinds().names();

export function isEvidenceKind(value: unknown): value is EvidenceKind {
  return builtinKinds().has(value);
}
