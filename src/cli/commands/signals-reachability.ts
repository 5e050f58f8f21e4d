/**
 * `attestry signals reachability`: is a symbol reachable in a component,
 * and was it seen running? The question goes to POST /signals/reachability
 * (symbols and/or an OSV advisory), the answer is drawn for a person (state,
 * call path with edge kinds, runtime hits, cited batches, the manifest and
 * verdict log entries) or printed as JSON; `--format openvex` writes the
 * OpenVEX document. `reachability history` lists a symbol's verdicts.
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { AttestryError, ioError } from '../../core/errors.js';
import { parseWith } from '../../core/validation.js';
import { MAX_OSV_BYTES, readOsvText } from '../../signals/reach-osv.js';
import { callJson } from '../api-client.js';
import { parseIntOption } from '../files.js';
import { emit, safeText as s } from '../output.js';
import { run } from '../run.js';
import { fileSize, query, withSignalsClient, type SignalsFlags } from '../signals-io.js';

/** A reply of another shape means --server is not the attestry service expected. */
const SERVER_REPLY = 'E_UNAVAILABLE';

// What the human output reads of a reply; --json prints the reply whole.
const Step = z.object({ nodeId: z.string(), symbol: z.string(), edgeKind: z.string().nullable() });
const Answer = z.looseObject({
  symbol: z.string(),
  state: z.string(),
  static: z.looseObject({ state: z.string(), steps: z.array(Step), uncertainEdges: z.array(z.string()) }),
  runtime: z.looseObject({
    state: z.string(),
    hitCount: z.number(),
    firstSeen: z.string().nullable(),
    lastSeen: z.string().nullable(),
    batchCount: z.number(),
    sources: z.array(z.string()),
    windowBatchCount: z.number(),
    windowSources: z.array(z.string()),
  }),
  window: z.looseObject({ since: z.string().nullable(), until: z.string().nullable() }),
  evidence: z.looseObject({
    manifestDigest: z.string(),
    provenanceIds: z.array(z.string()),
    batches: z.array(z.unknown()),
    callgraph: z.looseObject({ manifestLogIndex: z.number().nullable() }),
  }),
  attestationId: z.string().optional(),
  logIndex: z.number().nullable().optional(),
  sequence: z.number().optional(),
  created: z.boolean().optional(),
});
const Result = z.looseObject({
  callgraphId: z.string(),
  componentPurl: z.string(),
  vulnerability: z.string().nullable(),
  results: z.array(Answer),
});
const History = z.looseObject({
  callgraphId: z.string(),
  symbol: z.string(),
  chainOk: z.boolean(),
  verdicts: z.array(
    z.looseObject({
      sequence: z.number(),
      attestationId: z.string(),
      state: z.string(),
      decidedAt: z.string(),
      logIndex: z.number().nullable(),
    }),
  ),
});
type AnswerT = z.output<typeof Answer>;
type ResultT = z.output<typeof Result>;

/** `entry -[static]→ b -[dynamic]→ symbol`: each arrow names the kind of the edge it stands for. */
export function drawPath(steps: readonly { symbol: string; edgeKind: string | null }[]): string {
  return steps.map((step, i) => (i === 0 ? s(step.symbol) : ` -[${s(step.edgeKind ?? '?')}]→ ${s(step.symbol)}`)).join('');
}

const logIndexText = (i: number | null | undefined): string => (i === null || i === undefined ? 'not logged' : `log index ${i}`);

function answerLines(a: AnswerT): string[] {
  const st = a.static;
  const r = a.runtime;
  const path =
    st.steps.length === 0
      ? `${s(st.state)}: no path from an entry point`
      : `${s(st.state)}: ${drawPath(st.steps)}${st.uncertainEdges.length > 0 ? ` (through ${st.uncertainEdges.map(s).join(', ')} edges)` : ''}`;
  const seen =
    r.hitCount > 0
      ? `${s(r.state)}: ${r.hitCount} hits in ${r.batchCount} batch(es), first ${s(r.firstSeen ?? '?')}, last ${s(r.lastSeen ?? '?')}, sources ${r.sources.map(s).join(', ')}`
      : `${s(r.state)}: no hits in ${r.windowBatchCount} batch(es) from ${r.windowSources.length} source(s)`;
  const w = a.window;
  const window = w.since === null && w.until === null ? 'all time' : `${s(w.since ?? '…')} to ${s(w.until ?? '…')}`;
  const lines = [
    `${s(a.symbol)}  ${s(a.state)}`,
    `  static     ${path}`,
    `  runtime    ${seen}`,
    `  evidence   ${a.evidence.batches.length} batch(es) cited (${a.evidence.provenanceIds.length} saw it), window ${window}`,
  ];
  if (a.attestationId !== undefined)
    lines.push(
      `  verdict    ${s(a.attestationId)}, sequence ${a.sequence ?? '?'}, ${logIndexText(a.logIndex)}${a.created === false ? ' (already recorded: same evidence)' : ''}`,
    );
  return lines;
}

function resultLines(r: ResultT): string {
  const first = r.results[0];
  const head = [
    `callgraph ${s(r.callgraphId)} (${s(r.componentPurl)})${r.vulnerability === null ? '' : `, vulnerability ${s(r.vulnerability)}`}`,
    ...(first === undefined
      ? []
      : [`  manifest   ${s(first.evidence.manifestDigest)}, ${logIndexText(first.evidence.callgraph.manifestLogIndex)}`]),
  ];
  return [...head, ...r.results.flatMap(answerLines)].join('\n');
}

type Format = 'json' | 'openvex';
const formatOption = (value: string): Format => {
  if (value !== 'json' && value !== 'openvex') throw new InvalidArgumentError(`--format must be json or openvex, got "${value}"`);
  return value;
};
const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** An OSV advisory file, read within the body limit the server applies (1 MiB, 32 levels). */
function readOsvFile(path: string): unknown {
  const size = fileSize(path);
  if (size > MAX_OSV_BYTES)
    throw new AttestryError('E_INVALID_INPUT', `--osv ${path}: ${size} bytes is larger than ${MAX_OSV_BYTES} (1 MiB)`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw ioError(e, 'read', path);
  }
  return readOsvText(text);
}

interface AskFlags extends SignalsFlags {
  callgraph?: string;
  purl?: string;
  symbol: string[];
  osv?: string;
  vulnerability?: string;
  since?: string;
  until?: string;
  minBatches?: number;
  minSources?: number;
  attest?: boolean;
  format?: Format;
  out?: string;
}

async function ask(flags: AskFlags): Promise<void> {
  if ((flags.callgraph === undefined) === (flags.purl === undefined))
    throw new AttestryError('E_USAGE', 'give one of --callgraph G (a stored callgraph) and --purl P (its newest callgraph is used)');
  if (flags.symbol.length === 0 && flags.osv === undefined)
    throw new AttestryError('E_USAGE', 'give --symbol S (repeat for several) or --osv FILE (an OSV advisory)');
  const body = {
    ...(flags.tenant === undefined ? {} : { tenant: flags.tenant }),
    ...(flags.callgraph === undefined ? {} : { callgraphId: flags.callgraph }),
    ...(flags.purl === undefined ? {} : { purl: flags.purl }),
    ...(flags.symbol.length === 0 ? {} : { symbols: flags.symbol }),
    ...(flags.osv === undefined ? {} : { osv: readOsvFile(flags.osv) }),
    ...(flags.vulnerability === undefined ? {} : { vulnerability: flags.vulnerability }),
    ...(flags.since === undefined ? {} : { since: flags.since }),
    ...(flags.until === undefined ? {} : { until: flags.until }),
    ...(flags.minBatches === undefined ? {} : { minBatches: flags.minBatches }),
    ...(flags.minSources === undefined ? {} : { minSources: flags.minSources }),
    ...(flags.attest === true ? { attest: true } : {}),
    ...(flags.format === undefined ? {} : { format: flags.format }),
  };
  const reply = await callJson(flags, 'POST', 'signals/reachability', Buffer.from(JSON.stringify(body)));
  if (flags.format === 'openvex') {
    const doc = parseWith(
      z.looseObject({ '@id': z.string(), statements: z.array(z.looseObject({ status: z.string() })) }),
      reply,
      'OpenVEX reply',
      SERVER_REPLY,
    );
    const text = `${JSON.stringify(reply, null, 2)}\n`;
    if (flags.out === undefined) {
      // The document is the output (as `callgraph get` writes the graph).
      process.stdout.write(text);
      return;
    }
    writeOut(flags.out, text);
    const status = doc.statements[0]?.status ?? '?';
    emit(flags, { out: flags.out, id: doc['@id'], status }, () => `wrote OpenVEX ${s(doc['@id'])} (${s(status)}) to ${s(flags.out)}`);
    return;
  }
  const result = parseWith(Result, reply, 'reachability reply', SERVER_REPLY);
  if (flags.out !== undefined) writeOut(flags.out, `${JSON.stringify(reply, null, 2)}\n`);
  emit(flags, reply as object, () => resultLines(result) + (flags.out === undefined ? '' : `\nwrote the answer to ${s(flags.out)}`));
}

function writeOut(path: string, text: string): void {
  try {
    writeFileAtomic(path, text);
  } catch (e) {
    throw ioError(e, 'write', path);
  }
}

/**
 * `reachability history --callgraph G --symbol S`: commander reads options
 * a parent knows wherever they appear (positional options would have to be
 * enabled from the program down), so history takes --callgraph, --symbol,
 * --tenant and the client options as reachability's and reads them with
 * optsWithGlobals; its --help lists them as global options.
 */
function historyCommand(): Command {
  return new Command('history')
    .description("a symbol's verdicts on a callgraph, oldest first, each linked to the one before it (--callgraph G --symbol S)")
    .configureHelp({ showGlobalOptions: true })
    .action((_options: unknown, command: Command) => {
      const flags = command.optsWithGlobals<AskFlags>();
      return run(flags, async () => {
        if (flags.callgraph === undefined) throw new AttestryError('E_USAGE', 'history: give --callgraph G (the graph id)');
        const [symbol, ...more] = flags.symbol;
        if (symbol === undefined || more.length > 0) throw new AttestryError('E_USAGE', 'history: give exactly one --symbol S');
        const reply = await callJson(
          flags,
          'GET',
          `signals/reachability/history${query({ tenant: flags.tenant, callgraph_id: flags.callgraph, symbol })}`,
        );
        const h = parseWith(History, reply, 'history reply', SERVER_REPLY);
        emit(flags, reply as object, () =>
          [
            `${s(h.symbol)} on callgraph ${s(h.callgraphId)}: ${h.verdicts.length} verdict(s), chain ${h.chainOk ? 'ok' : 'BROKEN (a verdict does not link to the one before it)'}`,
            ...h.verdicts.map(
              (v) => `  #${v.sequence}  ${s(v.decidedAt)}  ${s(v.state).padEnd(20)}  ${s(v.attestationId)}  ${logIndexText(v.logIndex)}`,
            ),
          ].join('\n'),
        );
      });
    });
}

/** `attestry signals reachability`. */
export function signalsReachabilityCommand(): Command {
  const cmd = withSignalsClient(
    new Command('reachability')
      .description('is a symbol reachable in a component, and was it seen running? (the answer with its evidence; --attest signs it)')
      .option('--callgraph <graphId>', 'the stored callgraph to ask (or --purl)')
      .option('--purl <purl>', "a component's Package URL: its newest callgraph is used")
      .option('--symbol <symbol>', 'a symbol id (repeat for several)', collect, [])
      .option('--osv <file>', 'an OSV advisory (JSON): its symbols are resolved against the graph')
      .option('--vulnerability <id>', 'the vulnerability the symbols stand for (OSV id, CVE)')
      .option('--since <iso>', 'only batches received at or after this time count as runtime evidence')
      .option('--until <iso>', 'only batches received at or before this time count')
      .option('--min-batches <n>', '"not seen" needs this many batches in the window', parseIntOption('--min-batches'))
      .option('--min-sources <n>', '"not seen" needs this many sources in the window', parseIntOption('--min-sources'))
      .option('--attest', 'store each answer as a signed, logged verdict (needs write access: signals-service)')
      .option('--format <f>', 'json (default) or openvex: write one OpenVEX 0.2.0 document', formatOption)
      .option('--out <file>', 'write the reply (the answer JSON, or the OpenVEX document) to this file')
      .option('--tenant <id>', "the callgraph's tenant (default: the token's only tenant)"),
  ).action((flags: AskFlags) => run(flags, () => ask(flags)));
  cmd.addCommand(historyCommand());
  return cmd;
}
