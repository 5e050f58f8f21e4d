/**
 * Determinism rules of seed 002 ("Deterministic Requirements"): greedy
 * decoding with a fixed seed. Anything else makes a replay a coin toss.
 */
import { AttestryError } from '../core/errors.js';
import type { GenerationParameters } from './types.js';

const KEY = 'advisoryAi.inference.local';
const RULE = 'seed 002 requires temperature 0, a fixed seed (default 42), topK 1 and topP 1 for a replayable artifact';

export function determinismViolations(p: GenerationParameters): string[] {
  const out: string[] = [];
  if (p.temperature !== 0) out.push(`${KEY}.temperature is ${p.temperature}; set it to 0 (${RULE})`);
  if (p.seed === null) out.push(`${KEY}.seed is not set; set a fixed seed such as 42 (${RULE})`);
  if (p.topK !== 1) out.push(`${KEY}.topK is ${p.topK}; set it to 1 (${RULE})`);
  if (p.topP !== 1) out.push(`${KEY}.topP is ${p.topP}; set it to 1.0 (${RULE})`);
  return out;
}

/** Throws E_NONDETERMINISTIC listing every violation, when determinism is required. */
export function assertDeterministic(p: GenerationParameters, required: boolean): void {
  if (!required) return;
  const v = determinismViolations(p);
  if (v.length > 0) {
    throw new AttestryError(
      'E_NONDETERMINISTIC',
      `advisoryAi.attestations.requireDeterminism is true but the generation parameters are not deterministic: ${v.join('; ')}`,
    );
  }
}
