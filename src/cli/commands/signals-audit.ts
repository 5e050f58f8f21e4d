/**
 * `attestry signals export` and `attestry signals verify`: the auditor's
 * chain of one batch (fact blob → provenance record → batch attestation →
 * log entry, and the signed manifest of its callgraph) written to a
 * directory, and verified from one, offline, against the published service
 * key and a pinned log key. `verify --server` exports into a temporary
 * directory first, so both ways check exactly the same files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { AttestryError, isAttestryError } from '../../core/errors.js';
import { parseManifest, parseProvenance } from '../../signals/export-format.js';
import { readExportDir, writeExportFacts, writeExportFile, type ExportFile } from '../../signals/export.js';
import { verifySignalsExport, type NamedCheck, type SignalsVerifyReport } from '../../signals/verify-offline.js';
import { parseJsonText } from '../../core/validation.js';
import { callJson, callText, download } from '../api-client.js';
import { emit, emitVerdict, safeText as s } from '../output.js';
import { run } from '../run.js';
import { enc, withSignalsClient, type SignalsFlags } from '../signals-io.js';
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

export interface ExportSummary {
  readonly batchId: string;
  readonly callgraphId: string;
  readonly dir: string;
  readonly files: string[];
}

/** Writes the export of `batchId` from the server into `dir`. */
export async function exportBatch(flags: SignalsFlags, batchId: string, dir: string): Promise<ExportSummary> {
  const files: string[] = [];
  const put = (file: ExportFile, text: string | undefined): void => {
    if (text !== undefined) files.push(writeExportFile(dir, file, text));
  };
  const provenanceText = await callText(flags, 'GET', `signals/runtime-facts/${enc(batchId)}/provenance`);
  const provenance = parseProvenance(
    parseJsonText(provenanceText, 'provenance record from the server', 'E_UNAVAILABLE'),
    'E_UNAVAILABLE',
    'provenance record from the server',
  );
  put('provenance', provenanceText);
  const facts = await download(flags, `signals/runtime-facts/${enc(batchId)}`);
  files.push((await writeExportFacts(dir, facts.body)).path);
  put('attestation', await optionalText(flags, `signals/runtime-facts/${enc(batchId)}/attestation`));
  // The locker's Sigstore bundle of each record: log entry, inclusion proof and signed checkpoint.
  put('attestationBundle', await optionalText(flags, `api/v1/attestations/${enc(batchId)}/bundle`));
  const graphId = provenance.callgraphId;
  const manifestText = await callText(flags, 'GET', `signals/callgraphs/${enc(graphId)}/manifest`);
  const manifest = parseManifest(
    parseJsonText(manifestText, 'manifest from the server', 'E_UNAVAILABLE'),
    'E_UNAVAILABLE',
    'manifest from the server',
  );
  put('manifest', manifestText);
  put('manifestEnvelope', await optionalText(flags, `signals/callgraphs/${enc(graphId)}/manifest.dsse`));
  put('manifestBundle', await optionalText(flags, `api/v1/attestations/${enc(graphId)}/bundle`));
  const keyIds = [...new Set([provenance.signerKeyId, manifest.signerKeyId].filter((k): k is string => k !== null))];
  const keys = [];
  for (const keyId of keyIds) {
    const key = (await callJson(flags, 'GET', `api/v1/keys/${enc(keyId)}`)) as { publicKeyPem?: unknown };
    if (typeof key.publicKeyPem !== 'string')
      throw new AttestryError('E_UNAVAILABLE', `GET /api/v1/keys/${keyId} returned no publicKeyPem`);
    keys.push({ keyId, publicKeyPem: key.publicKeyPem });
  }
  put('keys', `${JSON.stringify({ keys }, null, 2)}\n`);
  return { batchId, callgraphId: graphId, dir, files };
}

export function signalsExportCommand(): Command {
  return withSignalsClient(
    new Command('export')
      .description(
        'write a batch, its provenance, attestation, log bundles, the manifest of its callgraph and the signing keys to a directory',
      )
      .requiredOption('--batch <batchId>', 'batch id')
      .requiredOption('--out <dir>', 'directory to write (created if needed; files in it are replaced)'),
  ).action((flags: SignalsFlags & { batch: string; out: string }) =>
    run(flags, async () => {
      const summary = await exportBatch(flags, flags.batch, flags.out);
      emit(flags, summary, () =>
        [
          `exported batch ${s(summary.batchId)} (callgraph ${s(summary.callgraphId)}) to ${s(summary.dir)}`,
          ...summary.files.map((f) => `  ${s(f)}`),
        ].join('\n'),
      );
    }),
  );
}

const MARK = { passed: 'ok  ', failed: 'FAIL', skipped: 'skip' } as const;

/** One line per check of an offline verification report, names padded to `width`. */
export function checkLines(checks: readonly NamedCheck<string>[], width: number): string[] {
  return checks.map((c) => `  ${MARK[c.status]} ${c.name.padEnd(width)} ${s(c.message)}${c.code ? ` [${c.code}]` : ''}`);
}

function human(report: SignalsVerifyReport): string {
  return [
    `${report.ok ? 'VERIFIED' : 'FAILED'}: batch ${s(report.batchId ?? '?')} (callgraph ${s(report.callgraphId ?? '?')})`,
    ...checkLines(report.checks, 26),
  ].join('\n');
}

export function signalsVerifyCommand(): Command {
  return withSignalsClient(
    new Command('verify')
      .description(
        'verify a batch offline: blob hash = provenanceHash, provenance = attestation, DSSE signature, log inclusion, manifest signature; exit 2 naming the failed check',
      )
      .requiredOption('--batch <batchId>', 'batch id')
      .option('--dir <dir>', 'an export directory (attestry signals export) instead of --server')
      .option(
        '--log-key <vkey>',
        'the pinned log verifier key: text, @FILE or a file path (from GET /api/v1/log/key, obtained independently)',
      ),
  ).action((flags: SignalsFlags & { batch: string; dir?: string; logKey?: string }) =>
    run(flags, async () => {
      const logKey = flags.logKey === undefined ? undefined : vkeyArg(flags.logKey, '--log-key');
      let dir = flags.dir;
      let temp: string | undefined;
      if (dir === undefined) {
        temp = mkdtempSync(join(tmpdir(), 'attestry-signals-export-'));
        dir = temp;
        await exportBatch(flags, flags.batch, dir);
      }
      try {
        const report = verifySignalsExport(await readExportDir(dir), { logKey });
        const wrongBatch =
          report.batchId !== null && report.batchId !== flags.batch
            ? { code: 'E_DIGEST_MISMATCH' as const, message: `the export is of batch ${report.batchId}, not ${flags.batch}` }
            : undefined;
        const failure =
          wrongBatch ?? (report.failure === undefined ? undefined : { code: report.failure.code, message: report.failure.message });
        emitVerdict(flags, failure, { ...report, ok: failure === undefined, source: flags.dir ?? flags.server }, () =>
          wrongBatch === undefined ? human(report) : `FAILED: ${s(wrongBatch.message)}\n${human(report)}`,
        );
      } finally {
        if (temp !== undefined) rmSync(temp, { recursive: true, force: true });
      }
    }),
  );
}
