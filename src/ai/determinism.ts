/** Seed 002 "Deterministic Requirements": temperature 0, a fixed seed, greedy (topK 1, topP 1). */
import { AttestryError } from '../core/errors.js';
import type { GenerationParameters } from './types.js';

export function determinismViolations(p: GenerationParameters): string[] {
  const out: string[] = [];
  if (p.temperature !== 0)
    out.push(
      `temperature ${p.temperature} (advisoryAi.inference.local.temperature): temperature must be 0, no randomness in token selection`,
    );
  if (p.seed === null) out.push('no seed (advisoryAi.inference.local.seed): the seed must be fixed, the same across replays (default 42)');
  if (p.topK !== 1) out.push(`topK ${p.topK} (advisoryAi.inference.local.topK): greedy decoding takes topK 1`);
  if (p.topP !== 1) out.push(`topP ${p.topP} (advisoryAi.inference.local.topP): greedy decoding takes topP 1`);
  return out;
}

/** Refuses settings that break the rules while `advisoryAi.attestations.requireDeterminism` is on. */
export function assertDeterministic(p: GenerationParameters, required: boolean): void {
  const v = determinismViolations(p);
  if (required && v.length > 0)
    throw new AttestryError(
      'E_NONDETERMINISTIC',
      `these settings make the output unreplayable and advisoryAi.attestations.requireDeterminism is on: ${v.join('; ')}`,
      { details: { violations: v } },
    );
}
