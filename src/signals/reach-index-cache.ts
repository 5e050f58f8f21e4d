import { AttestryError } from '../core/errors.js';
import type { ReachIndex } from './reach-index.js';

/**
 * Graph indexes kept between reachability queries (config
 * `Signals.Reachability.IndexCacheMiB`). Building an index reads and parses
 * the whole stored graph (about a second for a million edges), so:
 * - concurrent queries of one graph share a single build (single-flight);
 * - a failed build is not remembered: the next query tries again;
 * - the least recently used indexes are dropped to keep the sum of their
 *   `bytes` within the bound; an index larger than the whole bound is
 *   handed to its callers but not kept, so one huge graph cannot push out
 *   every other.
 * A stored callgraph never changes (its id names its content), so entries
 * need no invalidation beyond `delete` when a graph is removed.
 */
export class ReachIndexCache {
  private readonly entries = new Map<string, { index: ReachIndex; bytes: number }>(); // oldest use first
  private readonly loading = new Map<string, Promise<ReachIndex>>();
  private total = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(private readonly maxBytes: number) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new AttestryError('E_CONFIG', `reach index cache size ${maxBytes} is not a non-negative number of bytes`);
    }
  }

  /** Single-flight per key; LRU by bytes; an index larger than maxBytes is returned, not kept. */
  get(key: string, load: () => Promise<ReachIndex>): Promise<ReachIndex> {
    const kept = this.entries.get(key);
    if (kept !== undefined) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, kept);
      return Promise.resolve(kept.index);
    }
    const pending = this.loading.get(key);
    if (pending !== undefined) {
      this.hits++;
      return pending;
    }
    this.misses++;
    const started = (async () => load())().then(
      (index) => {
        // A delete() while loading removed this promise: the graph is gone, do not bring it back.
        if (this.loading.get(key) === started) {
          this.loading.delete(key);
          this.keep(key, index);
        }
        return index;
      },
      (e: unknown) => {
        if (this.loading.get(key) === started) this.loading.delete(key);
        throw e;
      },
    );
    this.loading.set(key, started);
    return started;
  }

  /** Forgets a graph (it was deleted); a build under way finishes for its callers but is not kept. */
  delete(key: string): void {
    this.loading.delete(key);
    const kept = this.entries.get(key);
    if (kept === undefined) return;
    this.entries.delete(key);
    this.total -= kept.bytes;
  }

  stats(): { entries: number; bytes: number; hits: number; misses: number; evictions: number } {
    return { entries: this.entries.size, bytes: this.total, hits: this.hits, misses: this.misses, evictions: this.evictions };
  }

  private keep(key: string, index: ReachIndex): void {
    // Measured once: what the index holds when it is kept.
    const bytes = index.bytes;
    if (bytes > this.maxBytes) return;
    for (const [oldKey, old] of this.entries) {
      if (this.total + bytes <= this.maxBytes) break;
      this.entries.delete(oldKey);
      this.total -= old.bytes;
      this.evictions++;
    }
    this.entries.set(key, { index, bytes });
    this.total += bytes;
  }
}
