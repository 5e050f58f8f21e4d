import { JSONParser } from '@streamparser/json';
import { AttestryError } from '../core/errors.js';
import { type GraphBuilder, isJsonObject, nestsDeeperThan } from './callgraph-graph.js';
import { firstSignificantByte } from './body-tap.js';
import { jsonType } from './symbol-id.js';

/**
 * The StellaOps scanners' `stella.callgraph.v1` document, streamed: the
 * parser emits one element of `nodes`, `edges` or `entrypoints` at a time
 * and (keepStack false) forgets it, so a 1M-edge document is never one JSON
 * value. Mapping to the stored model: `name` → `symbol`,
 * `isEntrypointCandidate` or a mention in `entrypoints` → `entry`,
 * `sourceId`/`targetId` → `from`/`to`, every other field → `extra`.
 * Document-level members other than those below are ignored (the raw
 * upload, whose digest is recorded, still has them).
 */
export const STELLA_CALLGRAPH_SCHEMA = 'stella.callgraph.v1';
export const STELLA_EDGE_KINDS: readonly string[] = ['static', 'heuristic', 'runtime'];

const META_KEYS = ['schema', 'scanKey', 'language', 'artifacts', 'metadata'] as const;
const PATHS = ['$.nodes.*', '$.edges.*', '$.entrypoints.*', ...META_KEYS.map((k) => `$.${k}`)];
const MAX_DEPTH = 32;

type Check = (v: unknown) => boolean;
const isString: Check = (v) => typeof v === 'string';
const NODE_FIELDS: Readonly<Record<string, readonly [Check, string]>> = {
  kind: [isString, 'a string'],
  namespace: [isString, 'a string'],
  file: [isString, 'a string'],
  line: [(v) => Number.isSafeInteger(v) && (v as number) >= 0, 'a non-negative integer'],
  symbolKey: [isString, 'a string'],
  visibility: [isString, 'a string'],
  attributes: [isJsonObject, 'an object'],
};
const EDGE_FIELDS: Readonly<Record<string, readonly [Check, string]>> = {
  kind: [(v) => typeof v === 'string' && STELLA_EDGE_KINDS.includes(v), `one of ${STELLA_EDGE_KINDS.join(', ')}`],
  reason: [isString, 'a string'],
  weight: [(v) => typeof v === 'number' && Number.isFinite(v), 'a number'],
  isResolved: [(v) => typeof v === 'boolean', 'true or false'],
  candidates: [Array.isArray, 'an array'],
};

export async function parseStellaCallgraph(
  body: AsyncIterable<Uint8Array>,
  builder: GraphBuilder,
  what: string,
): Promise<Record<string, unknown>> {
  const meta: Record<string, unknown> = {};
  const parser = new JSONParser({ paths: PATHS, keepStack: false, stringBufferSize: 64 * 1024 });
  parser.onValue = ({ value, key, stack }) => {
    if (stack.length === 1) {
      meta[String(key)] = value;
      return;
    }
    const section = String(stack[1]?.key) as 'nodes' | 'edges' | 'entrypoints';
    if (typeof key !== 'number') throw invalid(what, `"${section}" must be an array`);
    if (section === 'nodes') readNode(value, key, builder);
    else if (section === 'edges') readEdge(value, key, builder);
    else readEntry(value, key, builder);
  };
  let started = false;
  for await (const chunk of body) {
    if (!started) {
      const first = firstSignificantByte(chunk);
      if (first === -1) continue;
      if (first !== 0x7b) throw invalid(what, `expected a JSON object {"schema":"${STELLA_CALLGRAPH_SCHEMA}",...}`);
      started = true;
    }
    if (parser.isEnded) {
      if (firstSignificantByte(chunk) !== -1) throw invalid(what, 'data after the end of the JSON document');
      continue;
    }
    feed(() => parser.write(chunk), what);
  }
  if (!started) throw invalid(what, `the body is empty; expected a ${STELLA_CALLGRAPH_SCHEMA} document`);
  if (!parser.isEnded) feed(() => parser.end(), what);
  if (meta['schema'] !== STELLA_CALLGRAPH_SCHEMA) {
    const got =
      typeof meta['schema'] === 'string'
        ? `"${meta['schema'].slice(0, 60)}"`
        : meta['schema'] === undefined
          ? 'missing'
          : jsonType(meta['schema']);
    throw invalid(what, `"schema" is ${got}; expected "${STELLA_CALLGRAPH_SCHEMA}"`);
  }
  return meta;
}

function invalid(what: string, problem: string): AttestryError {
  return new AttestryError('E_INVALID_INPUT', `${what}: ${problem}`);
}

/** Runs a parser step, turning its syntax errors into E_INVALID_INPUT and passing ours through. */
function feed(step: () => void, what: string): void {
  try {
    step();
  } catch (e) {
    if (e instanceof AttestryError) throw e;
    throw new AttestryError('E_INVALID_INPUT', `${what}: not valid JSON (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
}

function checkFields(
  value: Record<string, unknown>,
  fields: Readonly<Record<string, readonly [Check, string]>>,
  fail: (p: string) => AttestryError,
): void {
  for (const name in fields) {
    const v = value[name];
    if (v === undefined) continue;
    const [check, expected] = fields[name]!;
    if (!check(v)) throw fail(`"${name}" must be ${expected}, got ${jsonType(v)}`);
  }
}

function extraOf(
  value: Record<string, unknown>,
  own: readonly string[],
  fail: (p: string) => AttestryError,
): Record<string, unknown> | undefined {
  let extra: Record<string, unknown> | undefined;
  for (const key in value) {
    if (own.includes(key)) continue;
    if (key === '__proto__') throw fail('a field may not be named "__proto__"');
    extra ??= {};
    extra[key] = value[key];
  }
  if (extra !== undefined && nestsDeeperThan(extra, MAX_DEPTH)) throw fail(`nested more than ${MAX_DEPTH} levels deep`);
  return extra;
}

const NODE_OWN = ['id', 'name', 'isEntrypointCandidate'];
const EDGE_OWN = ['sourceId', 'targetId'];

function readNode(value: unknown, index: number, builder: GraphBuilder): void {
  const fail = (p: string): AttestryError => builder.fail('nodes', index, p);
  if (!isJsonObject(value)) throw fail(`expected an object, got ${jsonType(value)}`);
  checkFields(value, NODE_FIELDS, fail);
  const entry = value['isEntrypointCandidate'];
  if (entry !== undefined && typeof entry !== 'boolean')
    throw fail(`"isEntrypointCandidate" must be true or false, got ${jsonType(entry)}`);
  builder.addNode(value['id'], value['name'], entry === true, extraOf(value, NODE_OWN, fail), index, 'name');
}

function readEdge(value: unknown, index: number, builder: GraphBuilder): void {
  const fail = (p: string): AttestryError => builder.fail('edges', index, p);
  if (!isJsonObject(value)) throw fail(`expected an object, got ${jsonType(value)}`);
  checkFields(value, EDGE_FIELDS, fail);
  builder.addEdge(value['sourceId'], value['targetId'], extraOf(value, EDGE_OWN, fail), index, ['sourceId', 'targetId']);
}

/** An entry point is a node id, or an object naming one as `nodeId` (or `id`); its other fields stay in the raw upload. */
function readEntry(value: unknown, index: number, builder: GraphBuilder): void {
  const id = isJsonObject(value) ? (value['nodeId'] ?? value['id']) : value;
  if (typeof id !== 'string') throw builder.fail('entrypoints', index, 'expected a node id, or an object with "nodeId"');
  builder.addEntry(id, index);
}
