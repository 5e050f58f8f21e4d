import type { GcJob } from '../app/gc-job.js';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LockerEvents } from '../evidence/locker.js';
import type { EvidenceKind } from '../kinds/builtin.js';
import type { SignalsEvents } from '../signals/events.js';

/**
 * Distinct `fact_type` label values kept before the rest are counted as
 * `other`: fact types come from agents, and an unbounded label would let one
 * agent create any number of series in every scraper.
 */
export const MAX_FACT_TYPE_LABELS = 64;

/**
 * Prometheus metrics: process metrics, per-route latency, and the seven
 * Signals metrics of seed 000 §8.1 with exactly its names, types and labels
 * (tenant labels included, as the seed asks, though /metrics is
 * unauthenticated: tenant ids are operator-chosen names, not secrets).
 *
 * One addition: `signals_attestation_failures_total`. The seed's alert reads
 * `signals_attestations_created_total{result="failure"}`, a label the seed's
 * metric does not have; giving it one would make the seed's unlabelled
 * counter (and every `sum()` over it) count failures as "attestations
 * created". A separate counter keeps the seed's metric meaning what its name
 * says and gives the alert something that exists
 * (etc/prometheus/signals-provenance.rules.yml).
 */
export class ServiceMetrics implements LockerEvents, SignalsEvents {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'attestry_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly evidenceStoredTotal = new Counter({
    name: 'attestry_evidence_stored_total',
    help: 'Evidence objects stored in the locker',
    // No tenant label: the seed asks for none here, and /metrics is unauthenticated.
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  // Seed 000 §8.1, in its order.
  readonly callgraphsStoredTotal = new Counter({
    name: 'signals_callgraphs_stored_total',
    help: 'Callgraphs stored',
    labelNames: ['language', 'tenant'] as const,
    registers: [this.registry],
  });
  readonly callgraphNodes = new Histogram({
    name: 'signals_callgraph_nodes_total',
    help: 'Nodes per callgraph',
    labelNames: ['language'] as const,
    // Node counts, not seconds: 10 to 10M by decades.
    buckets: [10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000],
    registers: [this.registry],
  });
  readonly runtimeFactsIngestedTotal = new Counter({
    name: 'signals_runtime_facts_ingested_total',
    help: 'Facts ingested',
    labelNames: ['fact_type', 'tenant'] as const,
    registers: [this.registry],
  });
  /** Its `_count` is the number of batches stored: the alert compares it with provenance records. */
  readonly runtimeFactsBatchSize = new Histogram({
    name: 'signals_runtime_facts_batch_size',
    help: 'Facts per batch',
    buckets: [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000],
    registers: [this.registry],
  });
  /** Batches stored per tenant (the histogram above has no tenant label; the console's overview needs one). */
  readonly runtimeFactsBatchesTotal = new Counter({
    name: 'signals_runtime_facts_batches_total',
    help: 'Runtime-fact batches stored',
    labelNames: ['tenant'] as const,
    registers: [this.registry],
  });
  readonly provenanceRecordsTotal = new Counter({
    name: 'signals_provenance_records_total',
    help: 'Provenance records created',
    registers: [this.registry],
  });
  readonly attestationsCreatedTotal = new Counter({
    name: 'signals_attestations_created_total',
    help: 'DSSE attestations created',
    registers: [this.registry],
  });
  readonly casOperationsTotal = new Counter({
    name: 'signals_cas_operations_total',
    help: 'CAS operations',
    labelNames: ['operation', 'result'] as const,
    registers: [this.registry],
  });
  readonly attestationFailuresTotal = new Counter({
    name: 'signals_attestation_failures_total',
    help: 'Runtime-fact batch attestations that could not be created (signing or logging failed)',
    registers: [this.registry],
  });

  private readonly factTypeLabels = new Set<string>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Exposes the transparency log's size, read when /metrics is scraped (monitors alert on it standing still). */
  watchLog(size: () => Promise<number>): void {
    new Gauge({
      name: 'attestry_tlog_tree_size',
      help: 'Entries in the transparency log (size of the latest signed checkpoint)',
      registers: [this.registry],
      async collect() {
        this.set(await size());
      },
    });
  }

  /** The scheduled GC's runs, read when /metrics is scraped. */
  watchGc(job: GcJob): void {
    new Gauge({
      name: 'attestry_gc_runs',
      help: 'Scheduled GC runs finished since the process started',
      registers: [this.registry],
      collect() {
        this.set(job.runs);
      },
    });
    new Gauge({
      name: 'attestry_gc_last_run_timestamp_seconds',
      help: 'When the last scheduled GC run finished (0: none yet)',
      registers: [this.registry],
      collect() {
        this.set(job.lastRunAt === undefined ? 0 : job.lastRunAt.getTime() / 1000);
      },
    });
    new Gauge({
      name: 'attestry_gc_last_run_removed_blobs',
      help: 'Blobs the last scheduled GC run removed (orphans and those of expired records)',
      registers: [this.registry],
      collect() {
        const r = job.lastReport;
        this.set(r === undefined ? 0 : r.removed + r.expiredBlobsRemoved);
      },
    });
    new Gauge({
      name: 'attestry_gc_last_run_failed',
      help: '1 when the last scheduled GC run failed',
      registers: [this.registry],
      collect() {
        this.set(job.lastError === undefined ? 0 : 1);
      },
    });
  }

  casOperation(operation: 'put' | 'get' | 'delete', result: 'success' | 'failure' | 'integrity_failure'): void {
    this.casOperationsTotal.inc({ operation, result });
  }

  callgraphStored(language: string, tenant: string, nodeCount: number): void {
    this.callgraphsStoredTotal.inc({ language, tenant });
    this.callgraphNodes.observe({ language }, nodeCount);
  }

  factsIngested(factType: string, tenant: string, count: number): void {
    if (count > 0) this.runtimeFactsIngestedTotal.inc({ fact_type: this.factTypeLabel(factType), tenant }, count);
  }

  batchStored(factCount: number, tenant?: string): void {
    this.runtimeFactsBatchSize.observe(factCount);
    if (tenant !== undefined) this.runtimeFactsBatchesTotal.inc({ tenant });
  }

  provenanceRecorded(): void {
    this.provenanceRecordsTotal.inc();
  }

  attestationCreated(result: 'success' | 'failure'): void {
    if (result === 'success') this.attestationsCreatedTotal.inc();
    else this.attestationFailuresTotal.inc();
  }

  evidenceStored(kind: EvidenceKind): void {
    this.evidenceStoredTotal.inc({ kind });
  }

  private factTypeLabel(factType: string): string {
    if (this.factTypeLabels.has(factType)) return factType;
    if (this.factTypeLabels.size >= MAX_FACT_TYPE_LABELS) return 'other';
    this.factTypeLabels.add(factType);
    return factType;
  }
}
