import type { CasKey } from '../store/blob/cas-key.js';
import { builtinKinds, type EvidenceKind } from './builtin.js';
import type { KindRegistry } from './registry.js';

/**
 * The CAS layout of seed 000 §3.1 and the other seeds' kinds, by file: named
 * shorthands for `builtinKinds().blobKey(kind, role, …)`. The templates live
 * in the kinds' declarations; nothing here knows a path.
 */
const blob =
  (kind: string, role: string) =>
  (tenant: string, id: string): CasKey =>
    builtinKinds().blobKey(kind, role, tenant, id);
// Seed 000 keys manifests and attestations by id alone; their templates have no {tenant}.
const untenanted =
  (kind: string, role: string) =>
  (id: string): CasKey =>
    builtinKinds().blobKey(kind, role, 'global', id);

export const casLayout = {
  callgraph: blob('callgraphs', 'content'),
  callgraphMeta: blob('callgraphs', 'primary'),
  manifest: untenanted('manifests', 'manifest'),
  manifestEnvelope: untenanted('manifests', 'primary'),
  runtimeFacts: blob('runtime-facts', 'content'),
  provenance: blob('runtime-facts', 'primary'),
  attestation: untenanted('attestations', 'primary'),
  modelSignature: blob('model-signatures', 'primary'),
  aiAttestation: blob('ai-attestations', 'primary'),
  messageSignature: blob('message-signatures', 'primary'),
};

/** Where the evidence locker keeps one stored object of a given kind: its primary blob. */
export function evidenceBlobKey(kind: EvidenceKind, tenant: string, id: string, kinds: KindRegistry = builtinKinds()): CasKey {
  return kinds.blobKey(kind, 'primary', tenant, id);
}

/** A key read back from an index row: one a registered kind's template could have produced. */
export function parseCasKey(value: string, kinds: KindRegistry = builtinKinds()): CasKey {
  return kinds.parseCasKey(value);
}
