import type { Grant } from './declaration.js';

export type Action = 'read' | 'write';

export const GRANTS: readonly Grant[] = ['rw', 'r', 'w', '-'];

/** Whether a grant permits an action: `w` is write-only (seed 000 §3.2's Scanner Worker on callgraphs). */
export function grantAllows(grant: Grant, action: Action): boolean {
  return action === 'read' ? grant === 'rw' || grant === 'r' : grant === 'rw' || grant === 'w';
}
