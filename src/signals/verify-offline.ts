/**
 * Offline verification of one runtime-fact batch, the auditor's chain of the
 * issue: fact blob → provenance record → batch attestation → log entry, and
 * the signed manifest of the callgraph the batch names. Pure: the exported
 * files go in (read by the caller from a directory or a server), a report of
 * named checks comes out. Nothing here trusts the server that produced the
 * files beyond the keys it published; the log is trusted only through a log
 * key the caller pinned.
 */
import { timingSafeEqual, type KeyObject } from 'node:crypto';
import { sha256Digest } from '../core/digest.js';
import { canonicalBytes } from '../core/canonical-json.js';
import { isAttestryError, type ErrorCode } from '../core/errors.js';
import { parseJsonText } from '../core/validation.js';
import { decodeBase64, firstVerifiedSignature, parseEnvelope, type DsseEnvelope } from '../crypto/dsse.js';
import { INTOTO_PAYLOAD_TYPE, parseStatement } from '../crypto/intoto.js';
import { loadPublicKey } from '../crypto/keys.js';
import { createVerifier } from '../crypto/signer.js';
import { verifyLogBundle } from '../tlog/bundle.js';
import { leafHash } from '../tlog/hash.js';
import type { NoteVerifierKey } from '../tlog/note.js';
import { parseExportedKeys, parseManifest, parseProvenance, parsePredicate } from './export-format.js';
import {
  CALLGRAPH_MANIFEST_PAYLOAD_TYPE,
  RUNTIME_FACTS_PREDICATE_TYPE,
  type CallgraphManifest,
  type RuntimeFactProvenance,
} from './types.js';

/** The checks, in the order they run; each names one link of the chain. */
export const SIGNALS_CHECKS = [
  'blob-hash',
  'provenance-record',
  'attestation-signature',
  'attestation-log-inclusion',
  'manifest-signature',
  'manifest-log-inclusion',
] as const;
export type SignalsCheckName = (typeof SIGNALS_CHECKS)[number];

/** One named check of an offline verification (a batch's chain here, a verdict's in reach-verify.ts). */
export interface NamedCheck<Name extends string> {
  readonly name: Name;
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly message: string;
  readonly code?: ErrorCode;
}
export type SignalsCheck = NamedCheck<SignalsCheckName>;

export interface SignalsVerifyReport {
  readonly ok: boolean;
  readonly batchId: string | null;
  readonly callgraphId: string | null;
  readonly checks: readonly SignalsCheck[];
  /** The first failed check: what the command exits with. */
  readonly failure?: { readonly check: SignalsCheckName; readonly code: ErrorCode; readonly message: string } | undefined;
}

/** An exported batch, as bytes (the facts blob only by its digest, so it is never held whole). */
export interface SignalsExportInput {
  /** `sha256:` of the exported facts file, computed by the caller as it reads the file. */
  readonly factsDigest: string;
  readonly provenance: Uint8Array;
  readonly attestation: Uint8Array;
  /** Sigstore bundle of the attestation record (log entry, inclusion proof, checkpoint); absent when it was not logged. */
  readonly attestationBundle?: Uint8Array | undefined;
  readonly manifest: Uint8Array;
  /** Absent when the manifest is unsigned (SignManifests off). */
  readonly manifestEnvelope?: Uint8Array | undefined;
  readonly manifestBundle?: Uint8Array | undefined;
  /** keys.json: the service keys as GET /api/v1/keys/{keyId} publishes them. */
  readonly keys: Uint8Array;
}

export interface SignalsVerifyOptions {
  /** The pinned log key; without it a logged record cannot be verified (the check fails rather than trust the export). */
  readonly logKey?: NoteVerifierKey | undefined;
}

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && timingSafeEqual(a, b);

/** A failed check with its code (exported for the verdict verifier, reach-verify.ts). */
export class CheckFailed extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}
export const fail = (code: ErrorCode, message: string): never => {
  throw new CheckFailed(code, message);
};

/** What the checks learn from each other (a later check of a file an earlier one could not read is skipped). */
interface Context {
  provenance?: RuntimeFactProvenance;
  attestation?: DsseEnvelope;
  manifest?: CallgraphManifest;
  manifestEnvelope?: DsseEnvelope;
  keys?: ReadonlyMap<string, KeyObject>;
}

function json(bytes: Uint8Array, what: string): unknown {
  return parseJsonText(Buffer.from(bytes).toString('utf8'), what, 'E_SIGNATURE_FORMAT');
}

function keyFor(ctx: Context, keyId: string | null, what: string): KeyObject {
  if (keyId === null) return fail('E_SIGNATURE_INVALID', `${what} names no signer key (signerKeyId is null)`);
  const key = ctx.keys?.get(keyId);
  return key ?? fail('E_NOT_FOUND', `keys.json has no key ${keyId} (the signer of ${what}); export it from GET /api/v1/keys/${keyId}`);
}

/** The envelope's signature that verifies with `key`, or E_SIGNATURE_INVALID. */
function verifiedSignature(envelope: DsseEnvelope, key: KeyObject, keyId: string, what: string): Buffer {
  try {
    return firstVerifiedSignature(envelope, [createVerifier(key, keyId)], false).signature;
  } catch (e) {
    if (isAttestryError(e) && e.code === 'E_SIGNATURE_INVALID')
      fail('E_SIGNATURE_INVALID', `${what}: no signature verifies with key ${keyId}`);
    throw e;
  }
}

/**
 * A log bundle of a record: inclusion under a checkpoint the pinned log key
 * signed, the logged signature by `signerKey`, the bundle carrying this very
 * envelope, and the record's rekorUuid naming that entry.
 */
export function checkLogged(
  bundleBytes: Uint8Array | undefined,
  envelope: DsseEnvelope,
  signerKey: KeyObject,
  rekorUuid: string | null,
  what: string,
  options: SignalsVerifyOptions,
): string {
  if (bundleBytes === undefined)
    return fail('E_NOT_FOUND', `${what} names log entry ${rekorUuid ?? ''} but the export has no bundle for it`);
  if (options.logKey === undefined)
    return fail('E_USAGE', `${what} is logged: give the pinned log key (--log-key, from GET /api/v1/log/key) to verify its inclusion`);
  const bundle = json(bundleBytes, `${what} bundle`);
  const result = verifyLogBundle(bundle, { logKey: options.logKey, signerKey });
  const inBundle = parseEnvelope((bundle as { dsseEnvelope?: unknown }).dsseEnvelope);
  if (inBundle.payload !== envelope.payload || inBundle.payloadType !== envelope.payloadType)
    fail('E_DIGEST_MISMATCH', `the ${what} bundle holds another envelope than the exported one`);
  const body = (bundle as { verificationMaterial: { tlogEntries: { canonicalizedBody: string }[] } }).verificationMaterial.tlogEntries[0]!;
  const leaf = leafHash(Buffer.from(body.canonicalizedBody, 'base64')).toString('hex');
  if (rekorUuid !== null && rekorUuid !== leaf) fail('E_DIGEST_MISMATCH', `${what} names log entry ${rekorUuid}, the bundle holds ${leaf}`);
  return `entry ${result.logIndex} of ${result.origin} (tree size ${result.treeSize}), checkpoint signed by the pinned log key`;
}

type Step = (ctx: Context) => string | { skipped: string };

function steps(input: SignalsExportInput, options: SignalsVerifyOptions): Record<SignalsCheckName, Step> {
  return {
    'blob-hash': (ctx) => {
      const p = parseProvenance(json(input.provenance, 'provenance.json'));
      ctx.provenance = p;
      if (input.factsDigest !== p.provenanceHash)
        fail('E_DIGEST_MISMATCH', `the facts file hashes to ${input.factsDigest}, the provenance record says ${p.provenanceHash}`);
      return `facts hash to provenanceHash ${p.provenanceHash}`;
    },
    'provenance-record': (ctx) => {
      const p = ctx.provenance ?? parseProvenance(json(input.provenance, 'provenance.json'));
      ctx.keys = parseExportedKeys(json(input.keys, 'keys.json'), loadPublicKey);
      const envelope = parseEnvelope(json(input.attestation, 'attestation.dsse.json'));
      ctx.attestation = envelope;
      if (envelope.payloadType !== INTOTO_PAYLOAD_TYPE)
        fail('E_SIGNATURE_FORMAT', `the attestation's payloadType is ${envelope.payloadType}, not ${INTOTO_PAYLOAD_TYPE}`);
      const statement = parseStatement(json(decodeBase64(envelope.payload), 'attestation payload'));
      if (statement.predicateType !== RUNTIME_FACTS_PREDICATE_TYPE)
        fail('E_DIGEST_MISMATCH', `the attestation's predicateType is ${statement.predicateType}, not ${RUNTIME_FACTS_PREDICATE_TYPE}`);
      const predicate = parsePredicate(statement.predicate);
      const hex = p.provenanceHash.slice('sha256:'.length);
      const mismatches = [
        predicate.batchId !== p.batchId && `batchId ${predicate.batchId} ≠ ${p.batchId}`,
        predicate.provenanceHash !== p.provenanceHash && `provenanceHash ${predicate.provenanceHash} ≠ ${p.provenanceHash}`,
        predicate.factCount !== p.factCount && `factCount ${predicate.factCount} ≠ ${p.factCount}`,
        !predicate.subjects.includes(p.callgraphId) && `subjects ${predicate.subjects.join(',')} lack callgraph ${p.callgraphId}`,
        !statement.subject.some((s) => s.digest['sha256'] === hex && s.name === `runtime-facts/${p.batchId}`) &&
          `no statement subject runtime-facts/${p.batchId} with sha256 ${hex}`,
      ].filter((m): m is string => typeof m === 'string');
      if (mismatches.length > 0) fail('E_DIGEST_MISMATCH', `the provenance record and the attestation disagree: ${mismatches.join('; ')}`);
      return `batch ${p.batchId}: ${p.factCount} facts, callgraph ${p.callgraphId}, as attested`;
    },
    'attestation-signature': (ctx) => {
      const p = ctx.provenance!;
      const key = keyFor(ctx, p.signerKeyId, 'the provenance record');
      verifiedSignature(ctx.attestation!, key, p.signerKeyId!, 'attestation.dsse.json');
      return `signed by ${p.signerKeyId}`;
    },
    'attestation-log-inclusion': (ctx) => {
      const p = ctx.provenance!;
      if (p.rekorUuid === null && input.attestationBundle === undefined)
        return { skipped: `not logged: ${p.skipReason ?? 'no rekorUuid'}` };
      return checkLogged(
        input.attestationBundle,
        ctx.attestation!,
        keyFor(ctx, p.signerKeyId, 'the provenance record'),
        p.rekorUuid,
        'the attestation',
        options,
      );
    },
    'manifest-signature': (ctx) => {
      const p = ctx.provenance!;
      const m = parseManifest(json(input.manifest, 'manifest.json'));
      ctx.manifest = m;
      if (m.graphId !== p.callgraphId)
        fail('E_DIGEST_MISMATCH', `manifest.json is of callgraph ${m.graphId}, the batch names ${p.callgraphId}`);
      if (m.signature === null && input.manifestEnvelope === undefined)
        return { skipped: `manifest unsigned: ${m.skipReason ?? 'no signature'}` };
      if (input.manifestEnvelope === undefined)
        return fail('E_NOT_FOUND', 'the manifest is signed but the export has no manifest.dsse.json');
      const envelope = parseEnvelope(json(input.manifestEnvelope, 'manifest.dsse.json'));
      ctx.manifestEnvelope = envelope;
      if (envelope.payloadType !== CALLGRAPH_MANIFEST_PAYLOAD_TYPE)
        fail('E_SIGNATURE_FORMAT', `manifest.dsse.json's payloadType is ${envelope.payloadType}, not ${CALLGRAPH_MANIFEST_PAYLOAD_TYPE}`);
      const key = keyFor(ctx, m.signerKeyId, 'the manifest');
      const signature = verifiedSignature(envelope, key, m.signerKeyId!, 'manifest.dsse.json');
      const { signature: _s, rekorUuid: _r, skipReason: _k, ...signed } = m;
      if (!same(canonicalBytes(signed), decodeBase64(envelope.payload)))
        fail('E_SIGNATURE_INVALID', 'manifest.json is not the manifest the signature covers (its fields differ from the signed payload)');
      if (m.signature === null || !same(decodeBase64(m.signature), signature))
        fail('E_SIGNATURE_INVALID', "manifest.json's signature is not the envelope's");
      return `callgraph ${m.graphId} (${m.nodeCount} nodes, ${m.edgeCount} edges, ${m.digest}) signed by ${m.signerKeyId}`;
    },
    'manifest-log-inclusion': (ctx) => {
      const m = ctx.manifest!;
      if (ctx.manifestEnvelope === undefined) return { skipped: 'the manifest is unsigned, so it has no log entry' };
      if (m.rekorUuid === null && input.manifestBundle === undefined) return { skipped: `not logged: ${m.skipReason ?? 'no rekorUuid'}` };
      return checkLogged(
        input.manifestBundle,
        ctx.manifestEnvelope,
        keyFor(ctx, m.signerKeyId, 'the manifest'),
        m.rekorUuid,
        'the manifest',
        options,
      );
    },
  };
}

/** Runs every check; a check whose input an earlier one failed to establish is skipped, naming that check. */
export function verifySignalsExport(input: SignalsExportInput, options: SignalsVerifyOptions = {}): SignalsVerifyReport {
  const ctx: Context = {};
  const all = steps(input, options);
  const checks: SignalsCheck[] = [];
  let failure: SignalsVerifyReport['failure'];
  for (const name of SIGNALS_CHECKS) {
    if (failure !== undefined && dependsOnFailed(name, ctx)) {
      checks.push({ name, status: 'skipped', message: `needs what ${failure.check} could not establish` });
      continue;
    }
    try {
      const out = all[name](ctx);
      checks.push(typeof out === 'string' ? { name, status: 'passed', message: out } : { name, status: 'skipped', message: out.skipped });
    } catch (e) {
      const code: ErrorCode = e instanceof CheckFailed ? e.code : isAttestryError(e) ? e.code : 'E_INTERNAL';
      const message = e instanceof Error ? e.message : String(e);
      checks.push({ name, status: 'failed', code, message });
      failure ??= { check: name, code, message: `${name}: ${message}` };
    }
  }
  return {
    ok: failure === undefined,
    batchId: ctx.provenance?.batchId ?? null,
    callgraphId: ctx.provenance?.callgraphId ?? null,
    checks,
    ...(failure === undefined ? {} : { failure }),
  };
}

/** Whether a check can run: the files it reads were parsed by the checks before it. */
function dependsOnFailed(name: SignalsCheckName, ctx: Context): boolean {
  switch (name) {
    case 'provenance-record':
      return false;
    case 'attestation-signature':
    case 'attestation-log-inclusion':
      return ctx.provenance === undefined || ctx.attestation === undefined || ctx.keys === undefined;
    case 'manifest-signature':
      return ctx.provenance === undefined || ctx.keys === undefined;
    case 'manifest-log-inclusion':
      return ctx.manifest === undefined;
    default:
      return false;
  }
}

/** sha256: of bytes, for callers that hold a small facts file whole (tests, exports in memory). */
export function factsDigestOf(bytes: Uint8Array): string {
  return sha256Digest(bytes);
}
