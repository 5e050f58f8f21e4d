import type { ResolvedConfig } from '../core/config.js';
import type { Clock } from '../core/ids.js';
import { collectOrphanBlobs, type GcDeps, type GcReport } from '../evidence/gc.js';
import type { KindRegistry } from '../kinds/registry.js';
import { signalsGcSources } from '../signals/retention.js';
import type { BlobStore } from '../store/blob/blob-store.js';
import type { IndexDatabase } from '../store/db/connect.js';
import type { EvidenceRepo } from '../store/db/evidence-repo.js';
import type { ServiceLog } from './service.js';

/** What a GC run works on: the index (evidence and the domains' rows), the blob store, the kinds and the config. */
export interface GcCore {
  readonly index: IndexDatabase;
  readonly repos: { readonly evidence: EvidenceRepo };
  readonly blobs: BlobStore;
  readonly kinds: KindRegistry;
  readonly config: ResolvedConfig;
}

/**
 * Every reference source and retention pass of the product's domains, so
 * `attestry gc` and the service's scheduled run collect exactly the same
 * (a blob the Signals rows name is never taken for an orphan by either).
 */
export function gcDeps(core: GcCore): GcDeps {
  const signals = signalsGcSources({ db: core.index.db, blobs: core.blobs, kinds: core.kinds, config: core.config });
  return {
    blobs: core.blobs,
    evidence: core.repos.evidence,
    kinds: core.kinds,
    config: core.config,
    references: signals.references,
    retentionPasses: signals.retentionPasses,
  };
}

/** The service's scheduled GC. */
export interface GcJob {
  /** Runs finished (with or without an error). */
  readonly runs: number;
  /** Ticks that came while a run was still going, and were skipped. */
  readonly skipped: number;
  readonly lastReport: GcReport | undefined;
  readonly lastError: unknown;
  /** When the last run finished (with or without an error). */
  readonly lastRunAt: Date | undefined;
  /** Stops the timer and waits for a run in progress (call before the stores close). */
  stop(): Promise<void>;
}

export interface GcJobOptions {
  readonly intervalMs: number;
  readonly minAgeMs: number;
  readonly clock: Clock;
}

/**
 * Runs GC every `intervalMs` (the first run one interval after start). The
 * timer is unref'd (it never keeps the process alive); a tick while a run
 * is in progress is skipped; a failed run is logged and the next tick tries
 * again, never taking the service down. Several nodes may run it at once:
 * each deletion is one transaction that only one of them wins.
 */
export function startGcJob(core: GcCore, log: ServiceLog, options: GcJobOptions): GcJob {
  const deps = gcDeps(core);
  let running: Promise<void> | undefined;
  let stopped = false;
  const state = {
    runs: 0,
    skipped: 0,
    lastReport: undefined as GcReport | undefined,
    lastError: undefined as unknown,
    lastRunAt: undefined as Date | undefined,
  };
  const runOnce = async (): Promise<void> => {
    const started = Date.now();
    try {
      const report = await collectOrphanBlobs(deps, { now: options.clock.now(), minAgeMs: options.minAgeMs, dryRun: false });
      state.lastReport = report;
      state.lastError = undefined;
      log.info(
        {
          scanned: report.scanned,
          orphansRemoved: report.removed,
          tempFilesRemoved: report.tempFilesRemoved,
          expired: report.expired.length,
          expiredBlobsRemoved: report.expiredBlobsRemoved,
          ms: Date.now() - started,
        },
        'gc: scheduled run finished',
      );
    } catch (e) {
      state.lastError = e;
      log.error(
        { err: e, code: (e as { code?: unknown } | undefined)?.code },
        `gc: scheduled run failed (the next runs in ${options.intervalMs} ms): ${e instanceof Error ? e.message : String(e)}`,
      );
    } finally {
      state.runs += 1;
      state.lastRunAt = options.clock.now();
    }
  };
  const timer = setInterval(() => {
    if (stopped) return;
    if (running !== undefined) {
      state.skipped += 1;
      return;
    }
    running = runOnce().finally(() => {
      running = undefined;
    });
  }, options.intervalMs);
  timer.unref();
  return {
    get runs() {
      return state.runs;
    },
    get skipped() {
      return state.skipped;
    },
    get lastReport() {
      return state.lastReport;
    },
    get lastError() {
      return state.lastError;
    },
    get lastRunAt() {
      return state.lastRunAt;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
