/**
 * What the Signals use cases report for telemetry (seed 000 §8.1). The
 * server's Prometheus registry implements it; the domain knows nothing of
 * Prometheus. Tenants are passed because the seed labels two counters by
 * tenant; the implementation decides what it exposes.
 */
export interface SignalsEvents {
  callgraphStored(language: string, tenant: string, nodeCount: number): void;
  /** One call per fact type in a stored batch. */
  factsIngested(factType: string, tenant: string, count: number): void;
  /** A batch was stored (acknowledged); `factCount` feeds the batch-size histogram. */
  batchStored(factCount: number): void;
  provenanceRecorded(): void;
  attestationCreated(result: 'success' | 'failure'): void;
  casOperation(operation: 'put' | 'get' | 'delete', result: 'success' | 'failure' | 'integrity_failure'): void;
}

/** For callers that do not collect telemetry (CLI, tests). */
export const NO_SIGNALS_EVENTS: SignalsEvents = {
  callgraphStored: () => undefined,
  factsIngested: () => undefined,
  batchStored: () => undefined,
  provenanceRecorded: () => undefined,
  attestationCreated: () => undefined,
  casOperation: () => undefined,
};
