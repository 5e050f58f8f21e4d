import { jsonNestingDepth } from '../core/bounded-json.js';
import { GraphBuilder, isJsonObject, type CallgraphLimits, type ParsedCallgraph } from './callgraph-graph.js';
import { parseStellaCallgraph } from './callgraph-stella.js';
import { ndjsonLineBatches } from '../core/ndjson-lines.js';
import { BodyTap } from './body-tap.js';
import { jsonType } from './symbol-id.js';

export type { CallgraphEdge, CallgraphLimits, CallgraphNode, ParsedCallgraph } from './callgraph-graph.js';

/**
 * Callgraph uploads, in either of the two forms docs/signals.md describes:
 *
 * - NDJSON, one record per line: `{"kind":"node","id","symbol","entry"}` and
 *   `{"kind":"edge","from","to"}`; any other field goes to `extra` (so does
 *   the members of an `extra` object, which is how normalised output reads
 *   back in unchanged);
 * - `json`: the StellaOps scanners' `stella.callgraph.v1` document, read as
 *   a stream (./callgraph-stella.ts).
 *
 * Either way the body is never one JSON value in memory: NDJSON is parsed a
 * line at a time and the document an array element at a time. `rawDigest`
 * covers the bytes exactly as received.
 */
export async function parseCallgraph(
  source: AsyncIterable<Uint8Array>,
  form: 'ndjson' | 'json',
  limits: CallgraphLimits,
): Promise<ParsedCallgraph> {
  const tap = new BodyTap();
  const body = tap.pass(source, limits.maxBytes, 'callgraph upload');
  if (form === 'json') {
    const what = 'stella.callgraph.v1 callgraph';
    const builder = new GraphBuilder(what, limits, (section, i) => `${section}[${i}]`);
    const meta = await parseStellaCallgraph(body, builder, what);
    return builder.finish({ rawDigest: tap.digest(), rawBytes: tap.bytes }, 'stella.callgraph.v1', meta);
  }
  const what = 'NDJSON callgraph';
  const builder = new GraphBuilder(what, limits, (_section, line) => `line ${line}`);
  for await (const batch of ndjsonLineBatches(body, limits.maxLineBytes, what)) {
    for (const { text, line } of batch) readLine(text, line, builder);
  }
  return builder.finish({ rawDigest: tap.digest(), rawBytes: tap.bytes }, 'ndjson');
}

/** Deeper than any real attribute bag; keeps canonical JSON's recursion (and everyone else's) shallow. */
export const MAX_EXTRA_DEPTH = 32;

const NODE_KEYS = new Set(['kind', 'id', 'symbol', 'entry', 'extra']);
const EDGE_KEYS = new Set(['kind', 'from', 'to', 'extra']);

function readLine(text: string, line: number, builder: GraphBuilder): void {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw builder.fail('nodes', line, `not JSON (${e instanceof Error ? e.message : String(e)}); each line must be one JSON object`);
  }
  if (!isJsonObject(value)) throw builder.fail('nodes', line, `expected a JSON object, got ${jsonType(value)}`);
  // Only lines with nested values can be deep; a minimal record has one `{`.
  if (text.indexOf('{', 1) !== -1 || text.includes('[')) {
    if (jsonNestingDepth(text, MAX_EXTRA_DEPTH + 1) > MAX_EXTRA_DEPTH + 1) {
      throw builder.fail('nodes', line, `nested more than ${MAX_EXTRA_DEPTH} levels deep`);
    }
  }
  const kind = value['kind'];
  if (kind === 'node') {
    const entry = value['entry'];
    if (entry !== undefined && typeof entry !== 'boolean')
      throw builder.fail('nodes', line, `"entry" must be true or false, got ${jsonType(entry)}`);
    builder.addNode(value['id'], value['symbol'], entry === true, extraOf(value, NODE_KEYS, line, builder), line, 'symbol');
  } else if (kind === 'edge') {
    builder.addEdge(value['from'], value['to'], extraOf(value, EDGE_KEYS, line, builder), line, ['from', 'to']);
  } else {
    const shown = typeof kind === 'string' ? `"${kind.slice(0, 40)}"` : kind === undefined ? 'missing' : jsonType(kind);
    throw builder.fail('nodes', line, `"kind" is ${shown}; expected "node" or "edge"`);
  }
}

/**
 * Every field but the record's own goes to `extra`; an `extra` object's
 * members are merged in. A field both at the top and inside `extra` is
 * ambiguous and refused.
 */
function extraOf(
  value: Record<string, unknown>,
  own: ReadonlySet<string>,
  line: number,
  builder: GraphBuilder,
): Record<string, unknown> | undefined {
  let extra: Record<string, unknown> | undefined;
  for (const key in value) {
    if (own.has(key)) continue;
    if (key === '__proto__') throw builder.fail('nodes', line, 'a field may not be named "__proto__"');
    extra ??= {};
    extra[key] = value[key];
  }
  const nested = value['extra'];
  if (nested === undefined) return extra;
  if (!isJsonObject(nested)) throw builder.fail('nodes', line, `"extra" must be an object, got ${jsonType(nested)}`);
  for (const key in nested) {
    if (key === '__proto__') throw builder.fail('nodes', line, 'a field may not be named "__proto__"');
    extra ??= {};
    if (Object.hasOwn(extra, key)) throw builder.fail('nodes', line, `"${key}" is both a field and a member of "extra"; send it once`);
    extra[key] = nested[key];
  }
  return extra;
}
