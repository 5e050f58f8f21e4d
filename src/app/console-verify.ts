/**
 * The console's verify button: the chain of one stored object checked on the
 * server, step by step, with the same code an auditor runs offline. A
 * runtime-fact batch is exported in-process (facts blob, provenance record,
 * attestation, log bundles, manifest, keys) and handed to
 * verifySignalsExport, trusting the log only through this server's own log
 * key; any other evidence record is its stored bytes, its signature (against
 * the keys an upload is checked against) and its log entry under a signed
 * checkpoint. Only "no such object" (404) and "not yours to read" (403) are
 * error replies; every broken link, damaged blob included, is a failed step.
 */
import { createHash } from 'node:crypto';
import type { Principal } from '../authz/principal.js';
import { isAttestryError } from '../core/errors.js';
import { parseEnvelope } from '../crypto/dsse.js';
import type { Keyring } from '../crypto/keyring.js';
import { parseEvidence } from '../evidence/classify.js';
import type { EvidenceLocker } from '../evidence/locker.js';
import type { SignalsCheckName } from '../signals/verify-offline.js';
import type { SignalsUseCases } from '../signals/types.js';
import { type NamedCheck, verifySignalsExport } from '../signals/verify-offline.js';
import { verifyLogBundle } from '../tlog/bundle.js';
import type { NoteVerifierKey } from '../tlog/note.js';

export interface ChainReport {
  /** No step failed. */
  readonly ok: boolean;
  /** Steps that could not apply (not logged, unsigned, a message signature's entry): `ok` does not vouch for them. */
  readonly skipped: number;
  readonly type: 'batch' | 'evidence';
  readonly id: string;
  readonly checks: readonly NamedCheck<string>[];
}

export interface VerifyDeps {
  readonly locker: EvidenceLocker;
  readonly signals: SignalsUseCases;
  readonly keyring: Keyring;
  readonly logKey: NoteVerifierKey;
}

type Check = NamedCheck<string>;
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const failed = (name: string, e: unknown): Check => ({
  name,
  status: 'failed',
  message: messageOf(e),
  code: isAttestryError(e) ? e.code : 'E_INTERNAL',
});
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const report = (type: ChainReport['type'], id: string, checks: readonly Check[]): ChainReport => ({
  ok: checks.every((c) => c.status !== 'failed'),
  skipped: checks.filter((c) => c.status === 'skipped').length,
  type,
  id,
  checks,
});

/** A read of one link: its value, absent (404: not logged, unsigned), or the error that broke it. */
type Link<T> = { value: T | undefined } | { error: unknown };
async function link<T>(read: () => Promise<T>): Promise<Link<T>> {
  try {
    return { value: await read() };
  } catch (e) {
    if (isAttestryError(e) && e.code === 'E_NOT_FOUND') return { value: undefined };
    return { error: e };
  }
}
const valueOf = <T>(l: Link<T>): T | undefined => ('value' in l ? l.value : undefined);
const jsonOf = (l: Link<unknown>): Buffer | undefined => {
  const v = valueOf(l);
  return v === undefined ? undefined : json(v);
};

/**
 * The digest of the stored facts as they stream (never held whole). A damaged
 * or missing blob (the store checks the digest as it reads) is the chain's
 * first broken link.
 */
async function streamedDigest(read: () => Promise<AsyncIterable<Uint8Array>>): Promise<{ digest: string; error?: unknown }> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of await read()) hash.update(chunk);
    return { digest: `sha256:${hash.digest('hex')}` };
  } catch (e) {
    return { digest: `sha256:${hash.digest('hex')}`, error: e };
  }
}

export async function verifyBatchChain(deps: VerifyDeps, principal: Principal, batchId: string): Promise<ChainReport> {
  // The batch's own record: not found or not readable is the reply, not a step.
  const provenance = await deps.signals.getProvenance(principal, batchId);
  const graphId = provenance.callgraphId;
  const facts = await streamedDigest(async () => (await deps.signals.getBatch(principal, batchId)).content);
  const attestation = await link(() => deps.signals.getAttestation(principal, batchId));
  const attestationBundle = await link(() => deps.locker.exportBundle(principal, batchId));
  const manifest = await link(() => deps.signals.getManifest(principal, graphId));
  const manifestEnvelope = await link(() => deps.signals.getManifestEnvelope(principal, graphId));
  const manifestBundle = await link(() => deps.locker.exportBundle(principal, graphId));
  const signers = [provenance.signerKeyId, valueOf(manifest)?.signerKeyId ?? null];
  const keys = [...new Set(signers.filter((k): k is string => k !== null))].flatMap((keyId) => {
    try {
      return [{ keyId, publicKeyPem: deps.keyring.get(keyId).publicKeyPem }];
    } catch {
      return []; // the check that needs it says which key is missing
    }
  });
  const verified = verifySignalsExport(
    {
      factsDigest: facts.digest,
      provenance: json(provenance),
      attestation: valueOf(attestation) ?? Buffer.from('null'),
      attestationBundle: jsonOf(attestationBundle),
      manifest: jsonOf(manifest) ?? Buffer.from('null'),
      manifestEnvelope: valueOf(manifestEnvelope),
      manifestBundle: jsonOf(manifestBundle),
      keys: json({ keys }),
    },
    { logKey: deps.logKey },
  );
  // A link that could not be read is the failure of the step that reads it, in the store's words.
  const broken: Partial<Record<SignalsCheckName, unknown>> = {};
  if (facts.error !== undefined) broken['blob-hash'] = facts.error;
  if ('error' in attestation) broken['provenance-record'] = attestation.error;
  if ('error' in attestationBundle) broken['attestation-log-inclusion'] = attestationBundle.error;
  if ('error' in manifest) broken['manifest-signature'] = manifest.error;
  else if ('error' in manifestEnvelope) broken['manifest-signature'] = manifestEnvelope.error;
  if ('error' in manifestBundle) broken['manifest-log-inclusion'] = manifestBundle.error;
  const checks = verified.checks.map((c): Check => {
    const e = broken[c.name];
    return e === undefined ? c : failed(c.name, e);
  });
  return report('batch', batchId, checks);
}

const NEEDS = 'needs what an earlier step could not establish';

/** A stored evidence record: its blob, its signature by a key an upload would be checked against, its log entry and checkpoint. */
export async function verifyEvidenceChain(deps: VerifyDeps, principal: Principal, id: string): Promise<ChainReport> {
  const checks: Check[] = [];
  const done = (): ChainReport => {
    for (const name of ['blob-hash', 'signature', 'log-inclusion'].slice(checks.length))
      checks.push({ name, status: 'skipped', message: NEEDS });
    return report('evidence', id, checks);
  };
  let found: Awaited<ReturnType<EvidenceLocker['get']>>;
  try {
    found = await deps.locker.get(principal, id);
  } catch (e) {
    if (isAttestryError(e) && (e.code === 'E_NOT_FOUND' || e.code === 'E_FORBIDDEN' || e.code === 'E_INVALID_INPUT')) throw e;
    checks.push(failed('blob-hash', e));
    return done();
  }
  const { row } = found;
  checks.push({ name: 'blob-hash', status: 'passed', message: `the stored bytes hash to ${row.digest} (${row.size} bytes)` });
  let type: 'dsse' | 'message';
  try {
    const signed = await deps.locker.recheckSignature(principal, id);
    type = signed.type;
    checks.push({
      name: 'signature',
      status: 'passed',
      message: `${type === 'dsse' ? 'DSSE envelope' : 'message signature'} signed by ${signed.keyId}, a key of the service or trusted by tenant ${row.tenant}`,
    });
  } catch (e) {
    checks.push(failed('signature', e));
    return done();
  }
  try {
    const log = await deps.locker.logInfo(row);
    if (log.rekorUuid === null) {
      checks.push({ name: 'log-inclusion', status: 'skipped', message: `not logged: ${log.skipReason ?? 'no log entry'}` });
    } else if (type === 'message') {
      checks.push({
        name: 'log-inclusion',
        status: 'skipped',
        message: `log entry ${String(log.logIndex)}: a message signature's entry is checked against the signed file, with attestry verify-bundle --artifact FILE on the exported bundle`,
      });
    } else {
      const bundle = await deps.locker.exportBundle(principal, id);
      const result = verifyLogBundle(bundle, { logKey: deps.logKey });
      const stored = parseEvidence(found.bytes).content;
      const inBundle = parseEnvelope((bundle as { dsseEnvelope?: unknown }).dsseEnvelope);
      if (stored.type !== 'dsse' || inBundle.payload !== stored.envelope.payload)
        throw new Error('the log bundle holds another envelope than the stored one');
      checks.push({
        name: 'log-inclusion',
        status: 'passed',
        message: `entry ${result.logIndex} of ${result.origin} (tree size ${result.treeSize}), checkpoint signed by the log key`,
      });
    }
  } catch (e) {
    checks.push(failed('log-inclusion', e));
  }
  return done();
}
