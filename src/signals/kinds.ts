import type { KindDeclaration } from '../kinds/declaration.js';

/**
 * The Signals domain's evidence kinds, seed 000 §3 as data: the bucket
 * layout of §3.1 (one blob role per file the seed lists; `primary` is the
 * one the evidence locker stores and serves), the access policies of §3.2
 * verbatim (all others deny), the retention of §3.3 with the day counts from
 * §9's `Signals.CAS.RetentionDays`, and §9's switches.
 */

// Seed 000 §3.2: the same four principals on every Signals kind except the
// Scanner Worker, which writes callgraphs only. Admin is this product's
// operator role and may do everything.
const SIGNALS_SERVICE_RW = { 'signals-service': 'rw', 'policy-engine': 'r', 'audit-service': 'r', admin: 'rw' } as const;

const SWITCHES = { writeEnabled: 'Signals.CAS.WriteEnabled', logged: 'Signals.Provenance.RekorEnabled' } as const;

export const CALLGRAPHS: KindDeclaration = {
  name: 'callgraphs',
  description: 'Call graphs of a component (compressed NDJSON) with their metadata',
  blobs: {
    primary: 'callgraphs/{tenant}/{id}.meta.json',
    content: 'callgraphs/{tenant}/{id}.ndjson.zst',
  },
  access: { ...SIGNALS_SERVICE_RW, 'scanner-worker': 'w' },
  // §3.3: referenced callgraphs are kept indefinitely, orphans for OrphanCallgraphs days.
  retention: { keep: 'days', configKey: 'Signals.CAS.RetentionDays.OrphanCallgraphs', scope: 'unreferenced' },
  switches: SWITCHES,
  idName: 'graphId',
};

export const MANIFESTS: KindDeclaration = {
  name: 'manifests',
  description: 'Signed callgraph manifests (a manifest and its DSSE envelope)',
  // Must equal CALLGRAPH_MANIFEST_PAYLOAD_TYPE in ./types.ts (this file imports declarations only).
  payloadTypes: ['application/vnd.attestry.callgraph-manifest+json'],
  blobs: {
    primary: 'manifests/{id}.json.dsse',
    manifest: 'manifests/{id}.json',
  },
  access: SIGNALS_SERVICE_RW,
  retention: { keep: 'forever' },
  switches: SWITCHES,
  idName: 'graphId',
};

export const RUNTIME_FACTS: KindDeclaration = {
  name: 'runtime-facts',
  description: 'Runtime fact batches (compressed NDJSON) with their provenance records',
  blobs: {
    primary: 'runtime-facts/{tenant}/{id}.provenance.json',
    content: 'runtime-facts/{tenant}/{id}.ndjson.zst',
  },
  access: SIGNALS_SERVICE_RW,
  retention: { keep: 'days', configKey: 'Signals.CAS.RetentionDays.RuntimeFacts' },
  switches: SWITCHES,
  idName: 'batchId',
};

export const ATTESTATIONS: KindDeclaration = {
  name: 'attestations',
  description: 'DSSE attestations: runtime-fact batch attestations and any in-toto statement no other kind claims',
  predicateTypes: ['https://stella.ops/attestation/runtime-facts/v1'],
  blobs: { primary: 'attestations/{id}.dsse' },
  access: SIGNALS_SERVICE_RW,
  retention: { keep: 'forever' },
  switches: SWITCHES,
  classifyByDefault: true,
  idName: 'batchId',
};

/**
 * Signed reachability verdicts (docs/reachability.md): not one of seed 000's
 * four kinds, but Signals evidence under the same grants: the Signals
 * service writes verdicts, the policy engine and the audit service read them.
 */
export const REACHABILITY_VERDICTS: KindDeclaration = {
  name: 'reachability-verdicts',
  description: 'Signed reachability verdicts: in-toto statements over a callgraph and a vulnerable symbol',
  // Must equal REACHABILITY_PREDICATE_TYPE in ./reach-types.ts (this file imports declarations only).
  predicateTypes: ['https://attestry.dev/attestation/reachability/v1'],
  blobs: { primary: 'reachability-verdicts/{tenant}/{id}.dsse.json' },
  access: SIGNALS_SERVICE_RW,
  retention: { keep: 'forever' },
  switches: SWITCHES,
  idName: 'verdictId',
};

export const SIGNALS_KINDS: readonly KindDeclaration[] = [CALLGRAPHS, MANIFESTS, RUNTIME_FACTS, ATTESTATIONS, REACHABILITY_VERDICTS];
