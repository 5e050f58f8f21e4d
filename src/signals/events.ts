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
  /**
   * A batch was stored (acknowledged); `factCount` feeds the batch-size histogram, whose
   * `_count` the SignalsProvenanceMissing alert compares with provenance records: call it
   * once per acknowledged batch, together with provenanceRecorded.
   */
  batchStored(factCount: number, tenant?: string): void;
  /** The batch's provenance record was written (also when Provenance.Enabled is false and it carries a skipReason). */
  provenanceRecorded(): void;
  /** `failure`: the batch attestation could not be signed or logged (counted apart; the SignalsAttestationFailure alert reads it). */
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
