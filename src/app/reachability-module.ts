import { ReachIndexCache } from '../signals/reach-index-cache.js';
import type { ReachabilityUseCases } from '../signals/reach-types.js';
import { ReachabilityService } from '../signals/reachability.js';
import type { AppModule } from './modules.js';
import { signalsDeps } from './signals-module.js';

/**
 * Reachability answers over the Signals domain's callgraphs and runtime
 * facts (docs/reachability.md). Graph indexes are cached per node, bounded
 * by `Signals.Reachability.IndexCacheMiB` (least recently used go first).
 */
export const reachabilityModule: AppModule<ReachabilityUseCases> = {
  name: 'reachability',
  register(app) {
    const deps = signalsDeps(app);
    const cache = new ReachIndexCache(deps.config.Reachability.IndexCacheMiB * 1024 * 1024);
    return new ReachabilityService(deps, cache);
  },
};
