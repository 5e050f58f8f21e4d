/**
 * A valid export directory of one runtime-fact batch, built as the service
 * builds one, with real crypto: an ECDSA P-256 service key signs the batch
 * attestation and the callgraph manifest, both are appended to a two-entry
 * log whose checkpoint an Ed25519 log key signs, and the Sigstore bundles
 * carry the inclusion proofs. `log.vkey` beside the files is the pinned log key.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalBytes } from '../../src/core/canonical-json.js';
import { signEnvelope, type DsseEnvelope } from '../../src/crypto/dsse.js';
import { buildStatement, INTOTO_PAYLOAD_TYPE } from '../../src/crypto/intoto.js';
import { generateKeyPair, publicKeyToPem } from '../../src/crypto/keys.js';
import { createSigner } from '../../src/crypto/signer.js';
import { EXPORT_FILES } from '../../src/signals/export-format.js';
import type { CallgraphManifest, RuntimeFactProvenance } from '../../src/signals/types.js';
import { CALLGRAPH_MANIFEST_PAYLOAD_TYPE, RUNTIME_FACTS_PREDICATE_TYPE } from '../../src/signals/types.js';
import { factsDigestOf } from '../../src/signals/verify-offline.js';
import { buildLogBundle } from '../../src/tlog/bundle.js';
import { signCheckpoint } from '../../src/tlog/checkpoint.js';
import { dsseEntryBody, signatureBy } from '../../src/tlog/entry.js';
import { leafHash, nodeHash } from '../../src/tlog/hash.js';
import { NoteSigner, parseVerifierKey } from '../../src/tlog/note.js';

export const KEY_ID = 'signals-signer-2025-001';
export const BATCH = '01JEXAMPLEBATCH00000000001';
export const GRAPH = '01JEXAMPLEGRAPH00000000001';
export const ORIGIN = 'attestry.test/log';

const service = generateKeyPair('ecdsa-p256');
const signer = createSigner(service.privateKey, KEY_ID);
const logSigner = new NoteSigner(ORIGIN, generateKeyPair('ed25519').privateKey);
export const logKey = parseVerifierKey(logSigner.verifierKey);

/** Writes a complete, valid export of one batch into `dir`. */
export function buildExport(dir: string): void {
  const facts = Buffer.from('{"symbolId":"sym:java:a","hitCount":3}\n{"symbolId":"sym:java:b","hitCount":1}\n');
  const provenanceHash = factsDigestOf(facts);
  const statement = buildStatement(
    [{ name: `runtime-facts/${BATCH}`, digest: { sha256: provenanceHash.slice(7) } }],
    RUNTIME_FACTS_PREDICATE_TYPE,
    {
      batchId: BATCH,
      provenanceHash,
      factCount: 2,
      timestamp: '2025-12-19T10:00:01.000Z',
      subjects: [GRAPH],
    },
  );
  const attestation = signEnvelope(INTOTO_PAYLOAD_TYPE, canonicalBytes(statement), [signer]);

  const unsigned = {
    graphId: GRAPH,
    digest: `sha256:${'7d'.repeat(32)}`,
    language: 'java',
    source: 'scanner',
    createdAt: '2025-12-19T09:00:00.000Z',
    tenantId: 'tenant-001',
    componentPurl: 'pkg:maven/org.example/lib@2.0',
    entryPoints: ['sym:java:a'],
    nodeCount: 2,
    edgeCount: 1,
    signerKeyId: KEY_ID,
  };
  const manifestEnvelope = signEnvelope(CALLGRAPH_MANIFEST_PAYLOAD_TYPE, canonicalBytes(unsigned), [signer]);

  // The log: the manifest (logged first, when the graph was stored), then the attestation.
  const body = (e: DsseEnvelope) => dsseEntryBody(e, signatureBy(e, service.publicKey), service.publicKey);
  const bodies = [body(manifestEnvelope), body(attestation)];
  const leaves = bodies.map((b) => leafHash(b));
  const rootHash = nodeHash(leaves[0]!, leaves[1]!);
  const checkpoint = signCheckpoint(logSigner, 2, rootHash);
  const bundleOf = (envelope: DsseEnvelope, index: number) =>
    buildLogBundle({
      envelope,
      hint: KEY_ID,
      logIndex: index,
      body: bodies[index]!,
      proof: { index, treeSize: 2, rootHash, hashes: [leaves[1 - index]!] },
      checkpoint,
      logKey: logSigner.publicKey,
    });

  const manifest: CallgraphManifest = {
    ...unsigned,
    signature: manifestEnvelope.signatures[0]!.sig,
    rekorUuid: leaves[0]!.toString('hex'),
  };
  const provenance: RuntimeFactProvenance = {
    provenanceId: '01JEXAMPLEPROV000000000001',
    callgraphId: GRAPH,
    batchId: BATCH,
    ingestedAt: '2025-12-19T10:00:01.000Z',
    receivedAt: '2025-12-19T10:00:00.000Z',
    tenantId: 'tenant-001',
    source: 'host-1',
    pipelineVersion: 'abc123',
    provenanceHash,
    signerKeyId: KEY_ID,
    rekorUuid: leaves[1]!.toString('hex'),
    skipReason: null,
    factCount: 2,
    factTypes: ['symbol_hit'],
  };
  const put = (file: keyof typeof EXPORT_FILES, value: unknown) =>
    writeFileSync(join(dir, EXPORT_FILES[file]), Buffer.isBuffer(value) ? value : JSON.stringify(value, null, 2));
  put('facts', facts);
  put('provenance', provenance);
  put('attestation', attestation);
  put('attestationBundle', bundleOf(attestation, 1));
  put('manifest', manifest);
  put('manifestEnvelope', manifestEnvelope);
  put('manifestBundle', bundleOf(manifestEnvelope, 0));
  put('keys', { keys: [{ keyId: KEY_ID, publicKeyPem: publicKeyToPem(service.publicKey) }] });
  writeFileSync(join(dir, 'log.vkey'), `${logSigner.verifierKey}\n`);
}
