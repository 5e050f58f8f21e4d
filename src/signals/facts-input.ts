import { JSONParser } from '@streamparser/json';
import { AttestryError } from '../core/errors.js';
import type { Digest } from '../core/digest.js';
import { FactAggregator, type FactsSummary } from './facts-aggregate.js';
import { checkFact, factError, newCheckedFact, type CheckedFact } from './facts-validate.js';
import { ndjsonLineBatches } from '../core/ndjson-lines.js';
import { BodyTap, firstSignificantByte } from './body-tap.js';
import { jsonType } from './symbol-id.js';

export type { FactAggregate, FactsSummary } from './facts-aggregate.js';
export type { RuntimeFact } from './facts-validate.js';

/**
 * Runtime-fact batches in either form (docs/signals.md): NDJSON, one fact per
 * line, or one JSON document `{subject, callgraphId, events: [...]}` whose
 * events are streamed one at a time. Every fact is checked (errors name the
 * 1-based line, or the event number in the document form), the body's bytes
 * are hashed exactly as received (that is the provenanceHash), and facts are
 * aggregated per (symbolId, codeId, loaderBase).
 */
export interface FactBatchLimits {
  readonly maxBytes: number;
  /** 64 KiB per seed-000 deployments; in the document form it bounds each event's JSON text. */
  readonly maxLineBytes: number;
  readonly maxFacts: number;
}

export const DEFAULT_FACT_LINE_BYTES = 64 * 1024;

const NDJSON_WHAT = 'runtime-fact batch';
const DOC_WHAT = 'runtime-facts document';
const atLine = (n: number): string => `line ${n}`;
const atEvent = (n: number): string => `event ${n} (events[${n - 1}])`;

/** Validates every fact, hashes the bytes as given and returns the summary; `onChunk` sees the raw bytes in order. */
export async function readFactBatch(
  source: AsyncIterable<Uint8Array>,
  form: 'ndjson' | 'json',
  limits: FactBatchLimits,
  onChunk?: (chunk: Uint8Array) => void | Promise<void>,
): Promise<FactsSummary & { provenanceHash: Digest; rawBytes: number }> {
  const tap = new BodyTap();
  const body = tap.pass(source, limits.maxBytes, form === 'json' ? DOC_WHAT : NDJSON_WHAT, onChunk);
  const agg = new FactAggregator();
  let doc: { callgraphId?: string; subject?: unknown } = {};
  if (form === 'json') {
    doc = await readDocument(body, limits, agg);
  } else {
    const scratch = newCheckedFact();
    for await (const batch of ndjsonLineBatches(body, limits.maxLineBytes, NDJSON_WHAT)) {
      for (const { text, line } of batch) {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (e) {
          throw factError(
            NDJSON_WHAT,
            atLine(line),
            `not JSON (${e instanceof Error ? e.message : String(e)}); send one JSON object per line`,
          );
        }
        add(agg, value, NDJSON_WHAT, line, atLine, limits.maxFacts, scratch);
      }
    }
  }
  if (agg.factCount === 0) {
    throw new AttestryError('E_INVALID_INPUT', `${form === 'json' ? DOC_WHAT : NDJSON_WHAT}: the batch is empty; send at least one fact`, {
      details: { factCount: 0 },
    });
  }
  const summary = agg.summary();
  if (doc.callgraphId !== undefined) summary.callgraphId = doc.callgraphId;
  if ('subject' in doc) summary.subject = doc.subject;
  return { ...summary, provenanceHash: tap.digest(), rawBytes: tap.bytes };
}

function add(
  agg: FactAggregator,
  value: unknown,
  what: string,
  at: number,
  place: (n: number) => string,
  maxFacts: number,
  fact: CheckedFact,
): void {
  checkFact(value, what, at, place, fact);
  if (agg.factCount >= maxFacts) {
    throw new AttestryError('E_PAYLOAD_TOO_LARGE', `${what}: more than ${maxFacts} facts (maxFacts); split the batch`, {
      details: { limit: 'maxFacts', maxFacts, at: place(at) },
    });
  }
  if (!agg.add(fact.symbolId, fact.codeId, fact.loaderBase, fact.type, fact.hitCount, fact.observed, fact.ms, fact.sub)) {
    throw factError(what, place(at), `the hit counts of symbol "${fact.symbolId.slice(0, 80)}" add up to more than 2^53 - 1`);
  }
}

/** Reads `{subject, callgraphId, events}`; each event is checked as it completes and then dropped (keepStack false). */
async function readDocument(
  body: AsyncIterable<Uint8Array>,
  limits: FactBatchLimits,
  agg: FactAggregator,
): Promise<{ callgraphId?: string; subject?: unknown }> {
  const doc: { callgraphId?: string; subject?: unknown } = {};
  const scratch = newCheckedFact();
  for await (const items of documentItems(body)) {
    for (const item of items) {
      if ('member' in item) {
        if (item.member === 'subject') doc.subject = item.value;
        else if (typeof item.value === 'string') doc.callgraphId = item.value;
        else if (item.value !== null)
          throw new AttestryError('E_INVALID_INPUT', `${DOC_WHAT}: "callgraphId" must be a string, got ${jsonType(item.value)}`);
        continue;
      }
      if (Buffer.byteLength(JSON.stringify(item.event), 'utf8') > limits.maxLineBytes) {
        throw new AttestryError(
          'E_PAYLOAD_TOO_LARGE',
          `${DOC_WHAT}: ${atEvent(item.n)} is longer than the limit of ${limits.maxLineBytes} bytes; shorten its fields`,
          {
            details: { at: atEvent(item.n), limit: 'maxLineBytes', maxLineBytes: limits.maxLineBytes },
          },
        );
      }
      add(agg, item.event, DOC_WHAT, item.n, atEvent, limits.maxFacts, scratch);
    }
  }
  return doc;
}

type DocItem = { readonly event: unknown; readonly n: number } | { readonly member: 'subject' | 'callgraphId'; readonly value: unknown };

/**
 * The document form's parser, shared by readFactBatch and factLines: the
 * elements of `events` (with their 1-based numbers) and the top-level
 * `subject` and `callgraphId`, in batches, one per chunk written.
 */
async function* documentItems(body: AsyncIterable<Uint8Array>): AsyncGenerator<DocItem[]> {
  const parser = new JSONParser({ paths: ['$.events.*', '$.subject', '$.callgraphId'], keepStack: false });
  let out: DocItem[] = [];
  parser.onValue = ({ value, key, stack }) => {
    if (stack.length === 1) {
      out.push({ member: key === 'subject' ? 'subject' : 'callgraphId', value });
      return;
    }
    if (typeof key !== 'number') throw new AttestryError('E_INVALID_INPUT', `${DOC_WHAT}: "events" must be an array of facts`);
    out.push({ event: value, n: key + 1 });
  };
  let started = false;
  for await (const chunk of body) {
    if (!started) {
      const first = firstSignificantByte(chunk);
      if (first === -1) continue;
      if (first !== 0x7b)
        throw new AttestryError('E_INVALID_INPUT', `${DOC_WHAT}: expected a JSON object {"subject":...,"callgraphId":...,"events":[...]}`);
      started = true;
    }
    if (parser.isEnded) {
      if (firstSignificantByte(chunk) !== -1)
        throw new AttestryError('E_INVALID_INPUT', `${DOC_WHAT}: data after the end of the JSON document`);
      continue;
    }
    step(() => parser.write(chunk));
    if (out.length > 0) {
      yield out;
      out = [];
    }
  }
  if (started && !parser.isEnded) step(() => parser.end());
  if (out.length > 0) yield out;
}

function step(run: () => void): void {
  try {
    run();
  } catch (e) {
    if (e instanceof AttestryError) throw e;
    throw new AttestryError('E_INVALID_INPUT', `${DOC_WHAT}: not valid JSON (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
}

/** Far above any accepted line; a stored blob was checked against the ingest limit already. */
const STORED_LINE_BYTES = 16 * 1024 * 1024;

/**
 * Yields the facts of a stored raw blob (either form), for streaming: each
 * fact's JSON object text (NDJSON: the line, surrounding whitespace trimmed,
 * so it ends with `}`; document: the event re-serialised by JSON.stringify)
 * and its 1-based line (NDJSON) or event number.
 */
export async function* factLines(raw: AsyncIterable<Uint8Array>, form: 'ndjson' | 'json'): AsyncGenerator<{ line: string; index: number }> {
  if (form === 'ndjson') {
    for await (const batch of ndjsonLineBatches(raw, STORED_LINE_BYTES, 'stored runtime-fact batch')) {
      for (const { text, line } of batch) {
        const trimmed = text.charCodeAt(0) <= 0x20 || text.charCodeAt(text.length - 1) <= 0x20 ? text.trim() : text;
        yield { line: trimmed, index: line };
      }
    }
    return;
  }
  for await (const items of documentItems(raw)) {
    for (const item of items) if ('event' in item) yield { line: JSON.stringify(item.event), index: item.n };
  }
}
