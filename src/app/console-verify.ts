/**
 * The console's verify button: the chain of one stored object checked on the
 * server, step by step, with the same code an auditor runs offline. A
 * runtime-fact batch is exported in-process (facts blob, provenance record,
 * attestation, log bundles, manifest, keys) and handed to
 * verifySignalsExport, trusting the log only through this server's own log
 * key; any other evidence record is its stored bytes, its DSSE signature and
 * its log entry under a signed checkpoint. A broken link is a failed step in
 * the report, never an error reply.
 */
import { createHash } from 'node:crypto';
import type { Principal } from '../authz/principal.js';
import { isAttestryError } from '../core/errors.js';
import { firstVerifiedSignature, parseEnvelope } from '../crypto/dsse.js';
import type { Keyring } from '../crypto/keyring.js';
import { loadPublicKey } from '../crypto/keys.js';
import { createVerifier } from '../crypto/signer.js';
import { parseEvidence } from '../evidence/classify.js';
import type { EvidenceLocker } from '../evidence/locker.js';
import type { SignalsUseCases } from '../signals/types.js';
import { checkLogged, type NamedCheck, verifySignalsExport } from '../signals/verify-offline.js';
import type { NoteVerifierKey } from '../tlog/note.js';

export interface ChainReport {
  readonly ok: boolean;
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

const text = (bytes: Uint8Array): Buffer => Buffer.from(bytes);
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

async function optional<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    if (isAttestryError(e) && e.code === 'E_NOT_FOUND') return undefined;
    throw e;
  }
}

/**
 * The digest of the stored facts as they stream (never held whole). A damaged
 * or missing blob (the store checks the digest as it reads) is the chain's
 * first broken link, reported as such rather than as an error reply.
 */
async function streamedDigest(read: () => Promise<AsyncIterable<Uint8Array>>): Promise<{ digest: string; error?: string }> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of await read()) hash.update(chunk);
    return { digest: `sha256:${hash.digest('hex')}` };
  } catch (e) {
    return { digest: `sha256:${hash.digest('hex')}`, error: e instanceof Error ? e.message : String(e) };
  }
}

export async function verifyBatchChain(deps: VerifyDeps, principal: Principal, batchId: string): Promise<ChainReport> {
  const provenance = await deps.signals.getProvenance(principal, batchId);
  const facts = await streamedDigest(async () => (await deps.signals.getBatch(principal, batchId)).content);
  const graphId = provenance.callgraphId;
  const manifest = await deps.signals.getManifest(principal, graphId);
  const keyIds = [...new Set([provenance.signerKeyId, manifest.signerKeyId].filter((k): k is string => k !== null))];
  const keys = keyIds.flatMap((keyId) => {
    const info = (() => {
      try {
        return deps.keyring.get(keyId);
      } catch {
        return undefined;
      }
    })();
    return info === undefined ? [] : [{ keyId, publicKeyPem: info.publicKeyPem }];
  });
  const report = verifySignalsExport(
    {
      factsDigest: facts.digest,
      provenance: json(provenance),
      attestation: (await optional(() => deps.signals.getAttestation(principal, batchId))) ?? Buffer.from('null'),
      attestationBundle: await optional(async () => json(await deps.locker.exportBundle(principal, batchId))),
      manifest: json(manifest),
      manifestEnvelope: await optional(async () => text(await deps.signals.getManifestEnvelope(principal, graphId))),
      manifestBundle: await optional(async () => json(await deps.locker.exportBundle(principal, graphId))),
      keys: json({ keys }),
    },
    { logKey: deps.logKey },
  );
  const checks = report.checks.map((c) =>
    c.name === 'blob-hash' && facts.error !== undefined ? { ...c, status: 'failed' as const, message: `${facts.error}; ${c.message}` } : c,
  );
  return { ok: report.ok && facts.error === undefined, type: 'batch', id: batchId, checks };
}

type Check = NamedCheck<string>;
const failed = (name: string, e: unknown): Check => ({
  name,
  status: 'failed',
  message: e instanceof Error ? e.message : String(e),
  code: isAttestryError(e) ? e.code : 'E_INTERNAL',
});

/** A stored evidence record: its blob, its signature by the key it names, its log entry and checkpoint. */
export async function verifyEvidenceChain(deps: VerifyDeps, principal: Principal, id: string): Promise<ChainReport> {
  const checks: Check[] = [];
  const skipRest = (names: string[], why: string): void => {
    for (const name of names) checks.push({ name, status: 'skipped', message: why });
  };
  let found: Awaited<ReturnType<EvidenceLocker['get']>>;
  try {
    found = await deps.locker.get(principal, id);
    checks.push({ name: 'blob-hash', status: 'passed', message: `the stored bytes hash to ${found.row.digest} (${found.row.size} bytes)` });
  } catch (e) {
    if (isAttestryError(e) && (e.code === 'E_NOT_FOUND' || e.code === 'E_FORBIDDEN')) throw e;
    checks.push(failed('blob-hash', e));
    skipRest(['dsse-signature', 'log-inclusion'], 'needs what blob-hash could not establish');
    return { ok: false, type: 'evidence', id, checks };
  }
  const { row } = found;
  const parsed = parseEvidence(found.bytes);
  if (parsed.content.type !== 'dsse') {
    skipRest(['dsse-signature', 'log-inclusion'], `a ${parsed.content.type} record has no DSSE envelope to check here`);
    return { ok: true, type: 'evidence', id, checks };
  }
  const envelope = parseEnvelope(parsed.content.envelope);
  let key;
  try {
    key = loadPublicKey(deps.keyring.get(row.signerKeyId).publicKeyPem, `key ${row.signerKeyId}`);
    firstVerifiedSignature(envelope, [createVerifier(key, row.signerKeyId)], false);
    checks.push({ name: 'dsse-signature', status: 'passed', message: `signed by ${row.signerKeyId}` });
  } catch (e) {
    checks.push(failed('dsse-signature', e));
    skipRest(['log-inclusion'], 'needs what dsse-signature could not establish');
    return { ok: false, type: 'evidence', id, checks };
  }
  const log = await deps.locker.logInfo(row);
  if (log.rekorUuid === null) {
    checks.push({ name: 'log-inclusion', status: 'skipped', message: `not logged: ${log.skipReason ?? 'no log entry'}` });
    return { ok: true, type: 'evidence', id, checks };
  }
  try {
    const bundle = json(await deps.locker.exportBundle(principal, id));
    checks.push({
      name: 'log-inclusion',
      status: 'passed',
      message: checkLogged(bundle, envelope, key, log.rekorUuid, 'the record', { logKey: deps.logKey }),
    });
  } catch (e) {
    checks.push(failed('log-inclusion', e));
  }
  return { ok: checks.every((c) => c.status !== 'failed'), type: 'evidence', id, checks };
}
