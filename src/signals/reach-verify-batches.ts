/**
 * The per-batch checks of verify-verdict, over every batch the verdict
 * cites, one batch's files at a time: the raw facts hash to the cited
 * provenanceHash and the provenance record is the citation
 * (batch-provenance); the batch attestation is signed, attests that hash and
 * is the cited log entry (batch-attestation); and the facts, re-aggregated
 * as the server aggregated them, hold the cited hits of the symbol
 * (runtime-evidence). The first batch that fails is named.
 */
import { sha256Digest } from '../core/digest.js';
import { isAttestryError } from '../core/errors.js';
import { parseJsonText } from '../core/validation.js';
import { decodeBase64, firstVerifiedSignature, parseEnvelope } from '../crypto/dsse.js';
import { INTOTO_PAYLOAD_TYPE, parseStatement } from '../crypto/intoto.js';
import { createVerifier } from '../crypto/signer.js';
import { parsePredicate, parseProvenance } from './export-format.js';
import { readFactBatch } from './facts-input.js';
import { VERDICT_EXPORT_LIMITS, type ByteSource, type VerdictBatchFiles, type VerdictVerifyInput } from './reach-export.js';
import { compareInstants, inWindow, runtimeEvidence, symbolHits } from './reach-runtime.js';
import type { CitedBatch } from './reach-types.js';
import type { VerdictContext, VerdictVerifyOptions } from './reach-verify.js';
import { brief, bundleLogIndex, digestOf, firstDifference } from './reach-verify-records.js';
import { RUNTIME_FACTS_PREDICATE_TYPE, type RuntimeFactProvenance } from './types.js';
import { checkLogged, fail } from './verify-offline.js';

/** Far above the ingest limits (64 KiB lines, 1M facts by default): a stored batch passed the server's. */
const FACT_LIMITS = { maxBytes: VERDICT_EXPORT_LIMITS.factsBytes, maxLineBytes: 16 * 1024 * 1024, maxFacts: 100_000_000 };

function json(bytes: Uint8Array, what: string): unknown {
  return parseJsonText(Buffer.from(bytes).toString('utf8'), what, 'E_SIGNATURE_FORMAT');
}

const sameInstant = (a: string | null, b: string | null): boolean => (a === null || b === null ? a === b : compareInstants(a, b) === 0);

async function filesOf(input: VerdictVerifyInput, batchId: string): Promise<VerdictBatchFiles> {
  return input.batch(batchId);
}

function facts(files: VerdictBatchFiles, at: string): ByteSource {
  return files.facts ?? fail('E_NOT_FOUND', `${at}: the export has no facts.ndjson for it (the cited evidence is missing)`);
}

function provenanceOf(files: VerdictBatchFiles, at: string): RuntimeFactProvenance {
  const bytes = files.provenance ?? fail('E_NOT_FOUND', `${at}: the export has no provenance.json for it`);
  return parseProvenance(json(bytes, `${at} provenance.json`), 'E_SIGNATURE_FORMAT', `${at} provenance record (provenance.json)`);
}

export async function batchProvenanceStep(input: VerdictVerifyInput, ctx: VerdictContext): Promise<string> {
  const p = ctx.predicate!;
  const seen = new Set<string>();
  const sources = new Set<string>();
  let previous: CitedBatch | undefined;
  for (const b of p.evidence.batches) {
    const at = `batch ${b.batchId}`;
    if (seen.has(b.batchId)) fail('E_DIGEST_MISMATCH', `${at} is cited twice`);
    seen.add(b.batchId);
    const files = await filesOf(input, b.batchId);
    const { digest } = await digestOf(facts(files, at)());
    if (digest !== b.provenanceHash)
      fail('E_DIGEST_MISMATCH', `${at}: provenance hash mismatch: facts hash to ${digest} but the verdict cites ${b.provenanceHash}`);
    const prov = provenanceOf(files, at);
    const mismatches = [
      prov.batchId !== b.batchId && `batchId ${prov.batchId}`,
      prov.provenanceId !== b.provenanceId && `provenanceId ${prov.provenanceId} ≠ ${b.provenanceId}`,
      prov.provenanceHash !== b.provenanceHash && `provenanceHash ${prov.provenanceHash} ≠ ${b.provenanceHash}`,
      !sameInstant(prov.receivedAt, b.receivedAt) && `receivedAt ${prov.receivedAt} ≠ ${b.receivedAt}`,
      prov.source !== b.source && `source ${prov.source} ≠ ${b.source}`,
      prov.callgraphId !== p.callgraphId && `callgraphId ${prov.callgraphId} ≠ ${p.callgraphId}`,
      prov.tenantId !== p.tenantId && `tenantId ${prov.tenantId} ≠ ${p.tenantId}`,
      prov.rekorUuid !== b.rekorUuid && `rekorUuid ${prov.rekorUuid ?? 'null'} ≠ ${b.rekorUuid ?? 'null'}`,
    ].filter((m): m is string => typeof m === 'string');
    if (mismatches.length > 0)
      fail('E_DIGEST_MISMATCH', `${at}: provenance.json and the verdict's citation disagree: ${mismatches.join('; ')}`);
    if (!inWindow(b.receivedAt, p.window))
      fail('E_DIGEST_MISMATCH', `${at}: received at ${b.receivedAt}, outside the verdict's window ${brief(p.window)}`);
    if (previous !== undefined) {
      const order = compareInstants(previous.receivedAt, b.receivedAt);
      if (order > 0 || (order === 0 && previous.batchId >= b.batchId))
        fail('E_DIGEST_MISMATCH', `${at} is cited after ${previous.batchId}: batches are cited oldest first (receivedAt, then batch id)`);
    }
    previous = b;
    sources.add(b.source);
  }
  ctx.batchesOk = true;
  const n = p.evidence.batches.length;
  if (n === 0) return 'the verdict cites no batch (none in its window)';
  return `${n} batch${n === 1 ? '' : 'es'} from ${sources.size} source${sources.size === 1 ? '' : 's'}: facts hash to the cited provenanceHash, provenance records match`;
}

export async function batchAttestationStep(
  input: VerdictVerifyInput,
  options: VerdictVerifyOptions,
  ctx: VerdictContext,
): Promise<string | { skipped: string }> {
  const p = ctx.predicate!;
  let attested = 0;
  let logged = 0;
  const signers = new Set<string>();
  for (const b of p.evidence.batches) {
    if (b.attestationId === null) continue;
    const at = `batch ${b.batchId}`;
    if (b.attestationId !== b.batchId)
      fail('E_DIGEST_MISMATCH', `${at}: the verdict cites attestation record ${b.attestationId}, a batch's record is its batch id`);
    const files = await filesOf(input, b.batchId);
    const bytes =
      files.attestation ?? fail('E_NOT_FOUND', `${at}: the verdict cites its attestation but the export has no attestation.dsse.json`);
    const digest = sha256Digest(bytes);
    if (b.attestationDigest !== null && digest !== b.attestationDigest)
      fail('E_DIGEST_MISMATCH', `${at}: attestation.dsse.json hashes to ${digest} but the verdict cites ${b.attestationDigest}`);
    const envelope = parseEnvelope(json(bytes, `${at} attestation.dsse.json`));
    if (envelope.payloadType !== INTOTO_PAYLOAD_TYPE)
      fail('E_SIGNATURE_FORMAT', `${at}: the attestation's payloadType is ${envelope.payloadType}, not ${INTOTO_PAYLOAD_TYPE}`);
    const statement = parseStatement(json(decodeBase64(envelope.payload), `${at} attestation payload`));
    if (statement.predicateType !== RUNTIME_FACTS_PREDICATE_TYPE)
      fail(
        'E_DIGEST_MISMATCH',
        `${at}: the attestation's predicateType is ${statement.predicateType}, not ${RUNTIME_FACTS_PREDICATE_TYPE}`,
      );
    const predicate = parsePredicate(statement.predicate);
    const hex = b.provenanceHash.slice('sha256:'.length);
    const mismatches = [
      predicate.batchId !== b.batchId && `batchId ${predicate.batchId}`,
      predicate.provenanceHash !== b.provenanceHash && `provenanceHash ${predicate.provenanceHash} ≠ ${b.provenanceHash}`,
      !predicate.subjects.includes(p.callgraphId) && `subjects ${predicate.subjects.join(',')} lack callgraph ${p.callgraphId}`,
      !statement.subject.some((s) => s.name === `runtime-facts/${b.batchId}` && s.digest['sha256'] === hex) &&
        `no statement subject runtime-facts/${b.batchId} with sha256 ${hex}`,
    ].filter((m): m is string => typeof m === 'string');
    if (mismatches.length > 0)
      fail('E_DIGEST_MISMATCH', `${at}: the attestation does not attest the cited batch: ${mismatches.join('; ')}`);
    const keyId = provenanceOf(files, at).signerKeyId ?? fail('E_SIGNATURE_INVALID', `${at}: its provenance record names no signer key`);
    const key =
      ctx.keys!.get(keyId) ??
      fail('E_NOT_FOUND', `${at}: keys.json has no key ${keyId} (its signer); export it from GET /api/v1/keys/${keyId}`);
    try {
      firstVerifiedSignature(envelope, [createVerifier(key, keyId)], false);
    } catch (e) {
      if (isAttestryError(e) && e.code === 'E_SIGNATURE_INVALID')
        fail('E_SIGNATURE_INVALID', `${at}: no attestation signature verifies with key ${keyId}`);
      throw e;
    }
    signers.add(keyId);
    attested++;
    if (b.rekorUuid === null && files.attestationBundle === undefined) continue;
    checkLogged(files.attestationBundle, envelope, key, b.rekorUuid, `${at}: the attestation`, options);
    const index = bundleLogIndex(files.attestationBundle!);
    if (b.logIndex !== null && b.logIndex !== index)
      fail('E_DIGEST_MISMATCH', `${at}: the verdict cites log index ${b.logIndex}, the bundle holds entry ${index}`);
    logged++;
  }
  const n = p.evidence.batches.length;
  if (attested === 0) return { skipped: n === 0 ? 'no cited batch' : `none of the ${n} cited batches is attested` };
  return `${attested} of ${n} attested (signed by ${[...signers].join(', ')}), ${logged} included in the log under the pinned key`;
}

/** The batch's aggregates as the server computed them at ingest; the form (NDJSON or one JSON document) is not recorded, so NDJSON is tried first. */
async function reaggregate(source: ByteSource): Promise<Awaited<ReturnType<typeof readFactBatch>>> {
  try {
    return await readFactBatch(source(), 'ndjson', FACT_LIMITS);
  } catch (e) {
    if (!isAttestryError(e) || e.code !== 'E_INVALID_INPUT') throw e;
    try {
      return await readFactBatch(source(), 'json', FACT_LIMITS);
    } catch {
      throw e;
    }
  }
}

export async function runtimeEvidenceStep(input: VerdictVerifyInput, ctx: VerdictContext): Promise<string> {
  const p = ctx.predicate!;
  const recounted: CitedBatch[] = [];
  for (const b of p.evidence.batches) {
    const at = `batch ${b.batchId}`;
    const summary = await reaggregate(facts(await filesOf(input, b.batchId), at));
    const hits = symbolHits(summary.aggregates, p.symbol);
    if (hits.hitCount !== b.hitCount || !sameInstant(hits.firstSeen, b.firstSeen) || !sameInstant(hits.lastSeen, b.lastSeen))
      fail(
        'E_DIGEST_MISMATCH',
        `${at}: its facts give ${p.symbol} ${hits.hitCount} hits (first ${hits.firstSeen ?? 'never'}, last ${hits.lastSeen ?? 'never'}), the verdict cites ${b.hitCount} (first ${b.firstSeen ?? 'never'}, last ${b.lastSeen ?? 'never'})`,
      );
    // Equal instants by now: the cited text is kept (the same instant may be written with another fraction length).
    recounted.push({ ...b, hitCount: hits.hitCount });
  }
  const runtime = runtimeEvidence(recounted, p.thresholds);
  const diff = firstDifference(runtime, p.runtime);
  if (diff !== undefined)
    fail(
      'E_DIGEST_MISMATCH',
      `the cited batches give runtime ${runtime.state} (${runtime.hitCount} hits in ${runtime.windowBatchCount} batches), the verdict says ${p.runtime.state} (${p.runtime.hitCount} hits in ${p.runtime.windowBatchCount} batches); first difference at runtime.${diff}`,
    );
  ctx.batches = recounted;
  return `${runtime.state}: ${runtime.hitCount} hits of ${p.symbol} in ${runtime.batchCount} of ${runtime.windowBatchCount} batches (${runtime.windowSources.length} sources)`;
}
