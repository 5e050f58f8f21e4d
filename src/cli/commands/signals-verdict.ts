/**
 * `attestry signals export-verdict` and `attestry signals verify-verdict`: a
 * reachability verdict and every record it cites (the callgraph's normalised
 * NDJSON, its signed manifest, each cited batch's raw facts, provenance
 * record and attestation, the log bundles, the signing keys) written to a
 * directory (reach-export.ts), and the verdict re-derived from such a
 * directory offline (reach-verify.ts). `verify-verdict --server` fetches the
 * cited records into a temporary directory first, so both ways check exactly
 * the same files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { sha256Digest, sha256Hex } from '../../core/digest.js';
import { AttestryError, isAttestryError } from '../../core/errors.js';
import { parseJsonText } from '../../core/validation.js';
import { parseManifest, parseProvenance } from '../../signals/export-format.js';
import {
  callgraphPath,
  clearBatchFile,
  clearVerdictFile,
  factsPath,
  readVerdictEnvelopeFile,
  readVerdictExportDir,
  VERDICT_EXPORT_LIMITS,
  writeBatchFile,
  writeStreamedFile,
  writeVerdictFile,
  type VerdictFile,
} from '../../signals/reach-export.js';
import type { ReachabilityPredicate } from '../../signals/reach-types.js';
import { parseVerdictEnvelope } from '../../signals/reach-verdict.js';
import { verifyVerdictExport, type VerdictVerifyReport } from '../../signals/reach-verify.js';
import { callJson, callText, download } from '../api-client.js';
import { emit, emitVerdict, safeText as s } from '../output.js';
import { publicKeyFromFile } from '../files.js';
import { run } from '../run.js';
import { checkLines } from './signals-audit.js';
import { enc, query, withSignalsClient, type SignalsFlags } from '../signals-io.js';
import { vkeyArg } from './log.js';

/** A GET that may be absent for a documented reason (not logged, unsigned): undefined on 404. */
async function optionalText(flags: SignalsFlags, path: string): Promise<string | undefined> {
  try {
    return await callText(flags, 'GET', path);
  } catch (e) {
    if (isAttestryError(e) && e.code === 'E_NOT_FOUND') return undefined;
    throw e;
  }
}

const fromServer = (what: string) => ({ code: 'E_UNAVAILABLE' as const, what: `${what} from the server` });

/** Streams a download into `path` with a byte limit; a longer reply is refused while it streams. */
async function downloadTo(flags: SignalsFlags, apiPath: string, path: string, limit: number): Promise<string> {
  const reply = await download(flags, apiPath);
  async function* bounded(): AsyncGenerator<Uint8Array> {
    let total = 0;
    for await (const chunk of reply.body) {
      total += chunk.byteLength;
      if (total > limit)
        throw new AttestryError('E_PAYLOAD_TOO_LARGE', `GET /${apiPath} sent more than ${limit} bytes; it is not a record of ours`);
      yield chunk;
    }
  }
  return (await writeStreamedFile(path, bounded())).path;
}

/**
 * Writes every record `predicate` cites into `dir` (everything but the
 * verdict itself): the callgraph and its manifest, each batch, the keys of
 * `keyIds` and of every signer met on the way.
 */
export async function exportCited(
  flags: SignalsFlags,
  predicate: ReachabilityPredicate,
  dir: string,
  keyIds: Set<string>,
): Promise<string[]> {
  const files: string[] = [];
  const put = (file: VerdictFile, text: string | undefined): void => {
    if (text !== undefined) files.push(writeVerdictFile(dir, file, text));
    else clearVerdictFile(dir, file);
  };
  const graphId = predicate.callgraphId;
  const manifestText = await callText(flags, 'GET', `signals/callgraphs/${enc(graphId)}/manifest`);
  const { code, what } = fromServer('manifest');
  const manifest = parseManifest(parseJsonText(manifestText, what, code), code, what);
  put('manifest', manifestText);
  put('manifestEnvelope', await optionalText(flags, `signals/callgraphs/${enc(graphId)}/manifest.dsse`));
  put('manifestBundle', await optionalText(flags, `api/v1/attestations/${enc(graphId)}/bundle`));
  if (manifest.signerKeyId !== null) keyIds.add(manifest.signerKeyId);
  files.push(await downloadTo(flags, `signals/callgraphs/${enc(graphId)}`, callgraphPath(dir), VERDICT_EXPORT_LIMITS.callgraphBytes));

  for (const b of predicate.evidence.batches) {
    const id = b.batchId;
    const provenanceText = await callText(flags, 'GET', `signals/runtime-facts/${enc(id)}/provenance`);
    const p = fromServer(`provenance record of batch ${id}`);
    const provenance = parseProvenance(parseJsonText(provenanceText, p.what, p.code), p.code, p.what);
    if (provenance.signerKeyId !== null) keyIds.add(provenance.signerKeyId);
    files.push(writeBatchFile(dir, id, 'provenance', provenanceText));
    files.push(await downloadTo(flags, `signals/runtime-facts/${enc(id)}`, factsPath(dir, id), VERDICT_EXPORT_LIMITS.factsBytes));
    const optional = async (file: 'attestation' | 'attestationBundle', apiPath: string): Promise<void> => {
      const text = await optionalText(flags, apiPath);
      if (text !== undefined) files.push(writeBatchFile(dir, id, file, text));
      else clearBatchFile(dir, id, file);
    };
    await optional('attestation', `signals/runtime-facts/${enc(id)}/attestation`);
    await optional('attestationBundle', `api/v1/attestations/${enc(id)}/bundle`);
  }

  const keys = [];
  for (const keyId of [...keyIds].sort()) {
    const key = (await callJson(flags, 'GET', `api/v1/keys/${enc(keyId)}`)) as { publicKeyPem?: unknown };
    if (typeof key.publicKeyPem !== 'string')
      throw new AttestryError('E_UNAVAILABLE', `GET /api/v1/keys/${keyId} returned no publicKeyPem`);
    keys.push({ keyId, publicKeyPem: key.publicKeyPem });
  }
  put('keys', `${JSON.stringify({ keys }, null, 2)}\n`);
  return files;
}

const signerKeyIds = (envelope: { signatures: { keyid?: string }[] }): Set<string> =>
  new Set(envelope.signatures.map((sig) => sig.keyid).filter((k): k is string => k !== undefined && k !== ''));

export interface VerdictExportSummary {
  readonly verdictId: string;
  readonly callgraphId: string;
  readonly symbol: string;
  readonly state: string;
  readonly batches: number;
  readonly dir: string;
  readonly files: string[];
}

/** Writes verdict `verdictId` and everything it cites into `dir`; the verdict envelope is written last. */
export async function exportVerdict(flags: SignalsFlags, verdictId: string, dir: string): Promise<VerdictExportSummary> {
  const envelopeText = await callText(flags, 'GET', `signals/reachability/verdicts/${enc(verdictId)}/envelope`);
  const bytes = Buffer.from(envelopeText, 'utf8');
  const { envelope, predicate } = parseVerdictEnvelope(bytes, 'E_UNAVAILABLE');
  const files = await exportCited(flags, predicate, dir, signerKeyIds(envelope));
  const bundle = await optionalText(flags, `api/v1/attestations/${enc(verdictId)}/bundle`);
  if (bundle !== undefined) files.push(writeVerdictFile(dir, 'verdictBundle', bundle));
  else clearVerdictFile(dir, 'verdictBundle');
  files.push(writeVerdictFile(dir, 'verdict', bytes));
  return {
    verdictId,
    callgraphId: predicate.callgraphId,
    symbol: predicate.symbol,
    state: predicate.state,
    batches: predicate.evidence.batches.length,
    dir,
    files,
  };
}

/** The verdict's record on the server (found by its symbol subject, matched by digest), for its log bundle; undefined when none is. */
async function findVerdictId(flags: SignalsFlags, predicate: ReachabilityPredicate, digest: string): Promise<string | undefined> {
  let after: string | undefined;
  // Verdicts of one symbol across callgraphs; 20 pages of 1000 is far beyond any chain we keep.
  for (let page = 0; page < 20; page++) {
    const q = query({
      subject: `sha256:${sha256Hex(predicate.symbol)}`,
      kind: 'reachability-verdicts',
      tenant: predicate.tenantId,
      limit: 1000,
      after,
    });
    let reply: unknown;
    try {
      reply = await callJson(flags, 'GET', `api/v1/attestations${q}`);
    } catch (e) {
      // A token that may not search the locker still verifies everything else; the log check then says it was skipped.
      if (isAttestryError(e) && (e.code === 'E_FORBIDDEN' || e.code === 'E_NOT_FOUND')) return undefined;
      throw e;
    }
    const found = reply as {
      items?: { id?: unknown; digest?: unknown }[];
      next?: unknown;
    };
    const hit = (found.items ?? []).find((i) => i.digest === digest);
    if (typeof hit?.id === 'string') return hit.id;
    if (typeof found.next !== 'string') return undefined;
    after = found.next;
  }
  return undefined;
}

function human(report: VerdictVerifyReport): string {
  const head = report.ok
    ? `VERIFIED: ${s(report.symbol ?? '?')} is ${s(report.state ?? '?')} in callgraph ${s(report.callgraphId ?? '?')}, re-derived from ${report.batchCount} cited batch(es)`
    : `FAILED: verdict on ${s(report.symbol ?? '?')} (callgraph ${s(report.callgraphId ?? '?')}, says ${s(report.state ?? '?')}): ${s(report.failure?.message ?? '')}`;
  return [head, ...checkLines(report.checks, 22)].join('\n');
}

export function signalsExportVerdictCommand(): Command {
  return withSignalsClient(
    new Command('export-verdict')
      .description(
        'write a reachability verdict and every record it cites (callgraph, manifest, batches, attestations, log bundles, keys) to a directory',
      )
      .argument('<verdictId>', 'the verdict (attestationId of an answer asked with --attest)')
      .requiredOption('--out <dir>', 'directory to write (created if needed; files in it are replaced)'),
  ).action((verdictId: string, flags: SignalsFlags & { out: string }) =>
    run(flags, async () => {
      const summary = await exportVerdict(flags, verdictId, flags.out);
      emit(flags, summary, () =>
        [
          `exported verdict ${s(summary.verdictId)} (${s(summary.symbol)}: ${s(summary.state)}, callgraph ${s(summary.callgraphId)}, ${summary.batches} batches) to ${s(summary.dir)}`,
          ...summary.files.map((f) => `  ${s(f)}`),
        ].join('\n'),
      );
    }),
  );
}

export function signalsVerifyVerdictCommand(): Command {
  return withSignalsClient(
    new Command('verify-verdict')
      .description(
        're-derive a reachability verdict from the evidence it cites, offline: signatures, log inclusion, callgraph and batch digests, static path, runtime hits, state; exit 2 naming the failed check',
      )
      .argument(
        '<file>',
        "the verdict's DSSE envelope (verdict.dsse.json of an export, or GET /signals/reachability/verdicts/{id}/envelope)",
      )
      .option('--dir <dir>', 'an export directory (attestry signals export-verdict) instead of --server')
      .option(
        '--log-key <vkey>',
        'the pinned log verifier key: text, @FILE or a file path (from GET /api/v1/log/key, obtained independently)',
      )
      .option('--require-logged', "fail when the verdict's log entry is missing, instead of skipping its log check")
      .option(
        '--key <pem-file>',
        'a service public key you trust (PEM, obtained independently; repeatable): signatures must verify with one of these, keys.json only names them',
        (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
      ),
  ).action((file: string, flags: SignalsFlags & { dir?: string; logKey?: string; key?: string[]; requireLogged?: boolean }) =>
    run(flags, async () => {
      const logKey = flags.logKey === undefined ? undefined : vkeyArg(flags.logKey, '--log-key');
      const trustedKeys = flags.key?.map((path) => publicKeyFromFile(path));
      let dir = flags.dir;
      let temp: string | undefined;
      try {
        if (dir === undefined) {
          temp = mkdtempSync(join(tmpdir(), 'attestry-verdict-export-'));
          dir = temp;
          const input = await readVerdictEnvelopeFile(file);
          const { envelope, predicate } = parseVerdictEnvelope(input);
          await exportCited(flags, predicate, dir, signerKeyIds(envelope));
          const id = await findVerdictId(flags, predicate, sha256Digest(input));
          const bundle = id === undefined ? undefined : await optionalText(flags, `api/v1/attestations/${enc(id)}/bundle`);
          if (bundle !== undefined) writeVerdictFile(dir, 'verdictBundle', bundle);
        }
        const report = await verifyVerdictExport(await readVerdictExportDir(dir, file), {
          logKey,
          trustedKeys,
          requireLogged: flags.requireLogged === true,
        });
        const failure = report.failure === undefined ? undefined : { code: report.failure.code, message: report.failure.message };
        emitVerdict(flags, failure, { ...report, source: flags.dir ?? flags.server }, () => human(report));
      } finally {
        if (temp !== undefined) rmSync(temp, { recursive: true, force: true });
      }
    }),
  );
}
