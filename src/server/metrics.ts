import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LockerEvents } from '../evidence/locker.js';
import type { EvidenceKind } from '../kinds/builtin.js';

/**
 * Prometheus metrics: process metrics, per-route latency, and the metric
 * names of seed 000 §8.1 exactly (the ones later capabilities increment are
 * registered now so dashboards and the seed's alerts find them).
 */
export class ServiceMetrics implements LockerEvents {
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
    // No tenant label: /metrics is unauthenticated and tenant ids are not public.
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly casOperationsTotal = new Counter({
    name: 'signals_cas_operations_total',
    help: 'CAS operations',
    labelNames: ['operation', 'result'] as const,
    registers: [this.registry],
  });
  readonly attestationsCreatedTotal = new Counter({
    name: 'signals_attestations_created_total',
    help: 'DSSE attestations created',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const r = [this.registry];
    new Counter({ name: 'signals_callgraphs_stored_total', help: 'Callgraphs stored', labelNames: ['language', 'tenant'], registers: r });
    new Histogram({ name: 'signals_callgraph_nodes_total', help: 'Nodes per callgraph', labelNames: ['language'], registers: r });
    new Counter({
      name: 'signals_runtime_facts_ingested_total',
      help: 'Facts ingested',
      labelNames: ['fact_type', 'tenant'],
      registers: r,
    });
    new Histogram({ name: 'signals_runtime_facts_batch_size', help: 'Facts per batch', registers: r });
    new Counter({ name: 'signals_provenance_records_total', help: 'Provenance records created', registers: r });
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

  casOperation(operation: 'put' | 'get' | 'delete', result: 'success' | 'failure' | 'integrity_failure'): void {
    this.casOperationsTotal.inc({ operation, result });
  }

  evidenceStored(kind: EvidenceKind): void {
    this.evidenceStoredTotal.inc({ kind });
  }
}
