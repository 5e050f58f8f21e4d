/**
 * `attestry signals …`: seed 000's Signals API from the command line.
 * Uploads stream from the file (a progress bar on a terminal), downloads
 * stream to a file or stdout; `export` and `verify` (signals-audit.ts)
 * follow a batch's chain offline.
 */
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { Command, InvalidArgumentError } from 'commander';
import { AttestryError } from '../../core/errors.js';
import { zstdCompressStream } from '../../core/zstd.js';
import { parseFound, parseManifest, parseProvenance } from '../../signals/export-format.js';
import type { CallgraphManifest, RuntimeFactProvenance } from '../../signals/types.js';
import { callJson, download, uploadJson } from '../api-client.js';
import { parseIntOption } from '../files.js';
import { emit, formatBytes, safeText as s } from '../output.js';
import { run } from '../run.js';
import { enc, fileChunks, query, saveBody, withSignalsClient, type SignalsFlags } from '../signals-io.js';
import { digestFile } from '../../signals/export.js';
import { signalsExportCommand, signalsVerifyCommand } from './signals-audit.js';
import { signalsReachabilityCommand } from './signals-reachability.js';
import { signalsExportVerdictCommand, signalsVerifyVerdictCommand } from './signals-verdict.js';

type Form = 'ndjson' | 'json';
const CONTENT_TYPE: Record<Form, string> = { ndjson: 'application/x-ndjson', json: 'application/json' };

const formOption = (value: string): Form => {
  if (value !== 'ndjson' && value !== 'json') throw new InvalidArgumentError(`--format must be ndjson or json, got "${value}"`);
  return value;
};
/** The form a file is in: --format, else `.json` means one JSON document, anything else NDJSON lines. */
const formOf = (file: string, format: Form | undefined): Form => format ?? (/\.json$/i.test(file) ? 'json' : 'ndjson');

function manifestLines(m: CallgraphManifest, created?: boolean): string {
  return [
    `${created === undefined ? 'callgraph' : created ? 'stored callgraph' : 'already stored: callgraph'} ${s(m.graphId)} (${s(m.language)}, ${s(m.componentPurl)})`,
    `  digest     ${s(m.digest)}`,
    `  nodes      ${m.nodeCount}, edges ${m.edgeCount}, entry points ${m.entryPoints.length}`,
    `  tenant     ${s(m.tenantId)}, source ${s(m.source)}, created ${s(m.createdAt)}`,
    `  signed by  ${m.signerKeyId === null ? '(unsigned)' : s(m.signerKeyId)}`,
    `  log entry  ${m.rekorUuid === null ? `(none${m.skipReason ? `: ${s(m.skipReason)}` : ''})` : s(m.rekorUuid)}`,
  ].join('\n');
}

function provenanceLines(p: RuntimeFactProvenance, created?: boolean): string {
  return [
    `${created === undefined ? 'batch' : created ? 'stored batch' : 'already stored: batch'} ${s(p.batchId)}: ${p.factCount} facts (${p.factTypes.map(s).join(', ')})`,
    `  callgraph        ${s(p.callgraphId)}`,
    `  provenanceHash   ${s(p.provenanceHash)}`,
    `  tenant           ${s(p.tenantId)}, source ${s(p.source)}, pipeline ${s(p.pipelineVersion)}`,
    `  received         ${s(p.receivedAt)}, ingested ${s(p.ingestedAt)}`,
    `  signed by        ${p.signerKeyId === null ? '(unsigned)' : s(p.signerKeyId)}`,
    `  log entry        ${p.rekorUuid === null ? `(none${p.skipReason ? `: ${s(p.skipReason)}` : ''})` : s(p.rekorUuid)}`,
  ].join('\n');
}

/** Replies are parsed, not cast: a reply of another shape means --server is not the attestry service expected. */
const SERVER_REPLY = 'E_UNAVAILABLE';
const manifestReply = (value: unknown, what: string): CallgraphManifest => parseManifest(value, SERVER_REPLY, what);
const provenanceReply = (value: unknown, what: string): RuntimeFactProvenance => parseProvenance(value, SERVER_REPLY, what);

function callgraphCommand(): Command {
  const cmd = new Command('callgraph').description('store, fetch and find callgraphs and their signed manifests');
  withSignalsClient(
    cmd
      .command('upload')
      .description('upload a callgraph (NDJSON node/edge lines, or a stella.callgraph.v1 JSON document), streamed from the file')
      .argument('<file>', 'the callgraph file')
      .requiredOption('--language <id>', 'language identifier, e.g. java, javascript, python')
      .requiredOption('--source <name>', 'what produced it (scanner, analyzer)')
      .requiredOption('--purl <purl>', 'Package URL of the component')
      .option('--tenant <id>', "tenant to store into (default: the token's only tenant)")
      .option('--graph-id <ulid>', 'choose the graph id, so a retry stores nothing twice')
      .option('--format <form>', 'ndjson or json (default: json for *.json, else ndjson)', formOption),
  ).action((file: string, flags: SignalsFlags & { language: string; source: string; purl: string; graphId?: string; format?: Form }) =>
    run(flags, async () => {
      const form = formOf(file, flags.format);
      const digest = await digestFile(file);
      const path = `signals/callgraphs${query({ tenant: flags.tenant, language: flags.language, source: flags.source, componentPurl: flags.purl, graph_id: flags.graphId, digest })}`;
      const body = fileChunks(file, 'uploading', flags.json === true);
      const m = manifestReply(await uploadJson(flags, path, body, { 'content-type': CONTENT_TYPE[form] }), 'the reply to the upload');
      emit(flags, m, () => manifestLines(m, true));
    }),
  );
  withSignalsClient(
    cmd
      .command('get')
      .description('download a callgraph as normalised NDJSON (to stdout, or --out FILE)')
      .argument('<graphId>', 'graph id')
      .option('--out <file>', 'write it to this file instead of stdout'),
  ).action((graphId: string, flags: SignalsFlags & { out?: string }) =>
    run(flags, async () => {
      const r = await download(flags, `signals/callgraphs/${enc(graphId)}`);
      const saved = await saveBody(r.body, flags.out);
      if (flags.out !== undefined)
        emit(flags, { graphId, out: flags.out, ...saved }, () => `wrote ${formatBytes(saved.bytes)} to ${s(flags.out)} (${saved.digest})`);
    }),
  );
  withSignalsClient(
    cmd.command('manifest').description("a callgraph's signed manifest (seed 000 §4.2)").argument('<graphId>', 'graph id'),
  ).action((graphId: string, flags: SignalsFlags) =>
    run(flags, async () => {
      const m = manifestReply(await callJson(flags, 'GET', `signals/callgraphs/${enc(graphId)}/manifest`), 'the manifest reply');
      emit(flags, m, () => manifestLines(m));
    }),
  );
  withSignalsClient(
    cmd
      .command('find')
      .description('manifests of a component by Package URL, newest first (with and without the version)')
      .argument('<purl>', 'Package URL, e.g. pkg:npm/%40acme/backend@1.2.3')
      .option('--tenant <id>', 'only this tenant')
      .option('--limit <n>', 'page size', parseIntOption('--limit'))
      .option('--cursor <c>', 'the `next` of the previous page'),
  ).action((purl: string, flags: SignalsFlags & { limit?: number; cursor?: string }) =>
    run(flags, async () => {
      const found = parseFound(
        await callJson(
          flags,
          'GET',
          `signals/callgraphs/by-purl/${enc(purl)}${query({ tenant: flags.tenant, limit: flags.limit, cursor: flags.cursor })}`,
        ),
        SERVER_REPLY,
        'the by-purl reply',
      );
      emit(flags, found, () =>
        found.items.length === 0
          ? `no callgraph of ${s(purl)}`
          : [
              ...found.items.map((m) => `${s(m.graphId)}  ${s(m.createdAt)}  ${s(m.componentPurl)}  ${m.nodeCount} nodes  ${s(m.digest)}`),
              ...(found.next === undefined ? [] : [`more: --cursor ${s(found.next)}`]),
            ].join('\n'),
      );
    }),
  );
  return cmd;
}

function factsCommand(): Command {
  const cmd = new Command('facts').description('ingest, fetch and stream runtime-fact batches');
  withSignalsClient(
    cmd
      .command('upload')
      .description('ingest a batch of runtime facts (NDJSON, or a {subject, callgraphId, events} JSON document), streamed from the file')
      .argument('<file>', 'the batch file')
      .option('--callgraph <graphId>', 'the stored callgraph the facts relate to (required for NDJSON)')
      .requiredOption('--source <name>', 'source host or service')
      .requiredOption('--pipeline-version <v>', 'pipeline version (git SHA or build id)')
      .option('--tenant <id>', "tenant to store into (default: the token's only tenant)")
      .option('--batch-id <ulid>', 'choose the batch id, so a retry is safe (same content → the same record)')
      .option('--format <form>', 'ndjson or json (default: json for *.json, else ndjson)', formOption)
      .option('--gzip', 'compress the upload with gzip (Content-Encoding: gzip)')
      .option('--zstd', 'compress the upload with zstd (Content-Encoding: zstd)'),
  ).action(
    (
      file: string,
      flags: SignalsFlags & {
        callgraph?: string;
        source: string;
        pipelineVersion: string;
        batchId?: string;
        format?: Form;
        gzip?: boolean;
        zstd?: boolean;
      },
    ) =>
      run(flags, async () => {
        if (flags.gzip && flags.zstd) throw new AttestryError('E_USAGE', 'give at most one of --gzip and --zstd');
        const form = formOf(file, flags.format);
        // The hash of the bytes as they are before compression: what provenanceHash covers, checked by the server.
        const provenanceHash = await digestFile(file);
        const path = `signals/runtime-facts${query({ tenant: flags.tenant, callgraph_id: flags.callgraph, source: flags.source, pipeline_version: flags.pipelineVersion, batch_id: flags.batchId, provenance_hash: provenanceHash })}`;
        const plain = fileChunks(file, 'uploading', flags.json === true);
        const encoding = flags.gzip ? 'gzip' : flags.zstd ? 'zstd' : undefined;
        const body: AsyncIterable<Uint8Array> =
          encoding === undefined
            ? plain
            : encoding === 'gzip'
              ? (Readable.from(plain).pipe(createGzip()) as AsyncIterable<Uint8Array>)
              : zstdCompressStream(plain);
        const headers = { 'content-type': CONTENT_TYPE[form], ...(encoding === undefined ? {} : { 'content-encoding': encoding }) };
        const p = provenanceReply(await uploadJson(flags, path, body, headers), 'the reply to the upload');
        emit(flags, p, () => provenanceLines(p, true));
      }),
  );
  withSignalsClient(
    cmd
      .command('get')
      .description('download a batch exactly as it was received (to stdout, or --out FILE)')
      .argument('<batchId>', 'batch id')
      .option('--out <file>', 'write it to this file instead of stdout'),
  ).action((batchId: string, flags: SignalsFlags & { out?: string }) =>
    run(flags, async () => {
      const r = await download(flags, `signals/runtime-facts/${enc(batchId)}`);
      const saved = await saveBody(r.body, flags.out);
      if (flags.out !== undefined)
        emit(flags, { batchId, out: flags.out, ...saved }, () => `wrote ${formatBytes(saved.bytes)} to ${s(flags.out)} (${saved.digest})`);
    }),
  );
  withSignalsClient(
    cmd
      .command('stream')
      .description('stream facts as NDJSON (to stdout, or --out FILE), following the cursor from page to page')
      .option('--tenant <id>', 'only this tenant')
      .option('--callgraph <graphId>', 'only batches of this callgraph')
      .option('--since <iso>', 'only facts observed after this time')
      .option('--include-provenance', 'each line carries provenance_hash and callgraph_id')
      .option('--limit <n>', 'facts per page', parseIntOption('--limit'))
      .option('--cursor <c>', 'start after the page that returned this cursor')
      .option('--out <file>', 'write to this file instead of stdout'),
  ).action(
    (
      flags: SignalsFlags & {
        callgraph?: string;
        since?: string;
        includeProvenance?: boolean;
        limit?: number;
        cursor?: string;
        out?: string;
      },
    ) =>
      run(flags, async () => {
        let cursor = flags.cursor;
        let pages = 0;
        let bytes = 0;
        const client = flags;
        // One file for every page: pages are appended as they come.
        async function* allPages(): AsyncGenerator<Uint8Array> {
          for (;;) {
            const path = `signals/runtime-facts/ndjson${query({ tenant: flags.tenant, callgraph_id: flags.callgraph, since: flags.since, include_provenance: flags.includeProvenance ? 'true' : undefined, limit: flags.limit, cursor })}`;
            const r = await download(client, path);
            pages++;
            for await (const chunk of r.body) {
              bytes += chunk.byteLength;
              yield chunk;
            }
            const next = r.headers.get('x-next-cursor');
            if (next === null || next === '' || next === cursor) return;
            cursor = next;
          }
        }
        const saved = await saveBody(allPages(), flags.out);
        if (flags.out !== undefined)
          emit(
            flags,
            { out: flags.out, pages, bytes, digest: saved.digest },
            () => `wrote ${formatBytes(bytes)} in ${pages} page(s) to ${s(flags.out)}`,
          );
      }),
  );
  return cmd;
}

export function signalsCommand(): Command {
  const cmd = new Command('signals').description('Signals (seed 000): callgraphs, runtime-fact batches, provenance, offline verification');
  cmd.addCommand(callgraphCommand());
  cmd.addCommand(factsCommand());
  cmd.addCommand(signalsExportCommand());
  cmd.addCommand(signalsVerifyCommand());
  cmd.addCommand(signalsReachabilityCommand());
  cmd.addCommand(signalsVerifyVerdictCommand());
  cmd.addCommand(signalsExportVerdictCommand());
  return cmd;
}
