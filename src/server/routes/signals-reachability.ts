import type { FastifyInstance } from 'fastify';
import type { ReachabilityUseCases } from '../../signals/reach-types.js';
import type { AuthHook } from '../auth.js';

// STUB (coordinator): replaced by the HTTP helper.
/** GET/POST /signals/reachability, /signals/reachability/history, /signals/reachability/verdicts/{id}. */
export async function reachabilityRoutes(app: FastifyInstance, useCases: ReachabilityUseCases, requireAuth: AuthHook): Promise<void> {
  void app;
  void useCases;
  void requireAuth;
  await Promise.resolve();
}
