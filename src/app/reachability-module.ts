import { AttestryError } from '../core/errors.js';
import type { ReachabilityUseCases } from '../signals/reach-types.js';
import type { AppModule } from './modules.js';

// STUB (coordinator): replaced by the service helper.
const notYet = (): never => {
  throw new AttestryError('E_INTERNAL', 'reachability is not implemented yet');
};

/** Reachability answers over the Signals domain's callgraphs and runtime facts (docs/reachability.md). */
export const reachabilityModule: AppModule<ReachabilityUseCases> = {
  name: 'reachability',
  register: () => ({ answer: notYet, history: notYet, verdict: notYet }),
};
