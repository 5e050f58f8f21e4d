import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { parseCallgraph } from '../../src/signals/callgraph-input.js';
import { normalizedLines } from '../../src/signals/callgraph-normalize.js';
import { readFactBatch } from '../../src/signals/facts-input.js';
import { chunks } from './helpers.js';

// Tests run from dist/test/signals; the docs live at the repo root.
const root = new URL('../../../', import.meta.url);
const schemaDir = new URL('docs/schemas/', root);
const doc = readFileSync(new URL('docs/signals.md', root), 'utf8');

type Schema = boolean | Record<string, unknown>;
const schemas = new Map<string, Schema>();
for (const name of readdirSync(schemaDir).filter((f) => f.endsWith('.schema.json'))) {
  schemas.set(name, JSON.parse(readFileSync(new URL(name, schemaDir), 'utf8')) as Schema);
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/**
 * The subset of JSON Schema 2020-12 these schemas use: type, const, enum,
 * required, properties, additionalProperties, items, minItems, uniqueItems,
 * minLength, maxLength, pattern, minimum, maximum, oneOf, anyOf, $ref (local
 * and sibling files). Returns the problems found (empty: valid).
 */
function validate(schema: Schema, value: unknown, path: string, file: string): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${path}: not allowed`];
  const s = schema;
  const out: string[] = [];
  if (typeof s['$ref'] === 'string') {
    const ref = s['$ref'];
    if (ref.startsWith('#/$defs/')) {
      const defs = (schemas.get(file) as Record<string, Record<string, Schema>>)['$defs']!;
      return validate(defs[ref.slice(8)]!, value, path, file);
    }
    return validate(schemas.get(ref)!, value, path, ref);
  }
  const t = typeOf(value);
  if (s['type'] !== undefined) {
    const types = Array.isArray(s['type']) ? (s['type'] as string[]) : [s['type'] as string];
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) return [`${path}: expected ${types.join('|')}, got ${t}`];
  }
  if ('const' in s && JSON.stringify(s['const']) !== JSON.stringify(value)) out.push(`${path}: expected ${JSON.stringify(s['const'])}`);
  if (Array.isArray(s['enum']) && !s['enum'].some((e) => JSON.stringify(e) === JSON.stringify(value))) out.push(`${path}: not in enum`);
  if (Array.isArray(s['oneOf']) && s['oneOf'].filter((sub: Schema) => validate(sub, value, path, file).length === 0).length !== 1)
    out.push(`${path}: not exactly one of oneOf`);
  if (Array.isArray(s['anyOf']) && !s['anyOf'].some((sub: Schema) => validate(sub, value, path, file).length === 0))
    out.push(`${path}: none of anyOf`);
  if (typeof value === 'string') {
    if (typeof s['minLength'] === 'number' && value.length < s['minLength']) out.push(`${path}: too short`);
    if (typeof s['maxLength'] === 'number' && value.length > s['maxLength']) out.push(`${path}: too long`);
    if (typeof s['pattern'] === 'string' && !new RegExp(s['pattern'], 'u').test(value)) out.push(`${path}: does not match ${s['pattern']}`);
  }
  if (typeof value === 'number') {
    if (typeof s['minimum'] === 'number' && value < s['minimum']) out.push(`${path}: below minimum`);
    if (typeof s['maximum'] === 'number' && value > s['maximum']) out.push(`${path}: above maximum`);
  }
  if (Array.isArray(value)) {
    if (typeof s['minItems'] === 'number' && value.length < s['minItems']) out.push(`${path}: too few items`);
    if (s['uniqueItems'] === true && new Set(value.map((v) => JSON.stringify(v))).size !== value.length)
      out.push(`${path}: items not unique`);
    if (s['items'] !== undefined) value.forEach((v, i) => out.push(...validate(s['items'] as Schema, v, `${path}[${i}]`, file)));
  }
  if (t === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of (s['required'] as string[] | undefined) ?? []) if (!(key in obj)) out.push(`${path}: missing required "${key}"`);
    const props = (s['properties'] as Record<string, Schema> | undefined) ?? {};
    for (const [k, v] of Object.entries(obj)) {
      if (k in props) out.push(...validate(props[k]!, v, `${path}.${k}`, file));
      else if (s['additionalProperties'] === false) out.push(`${path}: unexpected "${k}"`);
    }
  }
  return out;
}

/** The doc's examples: a fenced block after `<!-- example: <schema> -->`; NDJSON blocks hold one instance per line. */
function examples(): { schema: string; instances: unknown[] }[] {
  const re = /<!-- example: ([\w.-]+) -->\n```(json|ndjson)\n([\s\S]*?)\n```/g;
  return [...doc.matchAll(re)].map((m) => ({
    schema: m[1]!,
    instances: m[2] === 'json' ? [JSON.parse(m[3]!)] : m[3]!.split('\n').map((l) => JSON.parse(l) as unknown),
  }));
}

test('every schema in docs/schemas parses, declares 2020-12 and an $id named after its file', () => {
  const expected = [
    'callgraph-manifest',
    'callgraph-ndjson-line',
    'provenance-feed',
    'runtime-fact-provenance',
    'runtime-fact',
    'runtime-facts-document',
    'stella-callgraph-v1',
  ].map((n) => `${n}.schema.json`);
  assert.deepEqual([...schemas.keys()].sort(), expected.sort());
  for (const [name, s] of schemas) {
    assert.ok(typeof s === 'object');
    assert.equal(s['$schema'], 'https://json-schema.org/draft/2020-12/schema', name);
    assert.ok(String(s['$id']).endsWith(`/${name}`), name);
  }
});

test('every example in docs/signals.md validates against its schema, and every schema has an example', () => {
  const found = examples();
  assert.deepEqual(new Set(found.map((e) => e.schema)), new Set(schemas.keys()));
  for (const { schema, instances } of found) {
    assert.ok(schemas.has(schema), `unknown schema ${schema}`);
    for (const instance of instances)
      assert.deepEqual(validate(schemas.get(schema)!, instance, '$', schema), [], `${schema}: ${JSON.stringify(instance)}`);
  }
});

test('the schemas reject what the parsers reject', () => {
  const v = (schema: string, value: unknown): string[] => validate(schemas.get(schema)!, value, '$', schema);
  assert.notDeepEqual(v('runtime-fact.schema.json', { hitCount: 1 }), []);
  assert.notDeepEqual(v('runtime-fact.schema.json', { symbolId: 's', hitCount: -1 }), []);
  assert.notDeepEqual(v('runtime-fact.schema.json', { symbolId: 's', provenance_hash: 'x' }), []);
  assert.notDeepEqual(v('runtime-fact.schema.json', { symbolId: 'tab\there' }), []);
  assert.deepEqual(v('runtime-fact.schema.json', { symbolId: 'operator new(unsigned long)', codeId: null }), []);
  assert.notDeepEqual(v('callgraph-ndjson-line.schema.json', { kind: 'vertex', id: 'a' }), []);
  assert.notDeepEqual(v('callgraph-ndjson-line.schema.json', { kind: 'edge', from: 'a' }), []);
  assert.notDeepEqual(v('stella-callgraph-v1.schema.json', { schema: 'stella.callgraph.v2', nodes: [{ id: 'a' }] }), []);
  assert.notDeepEqual(v('callgraph-manifest.schema.json', { graphId: 'x' }), []);
});

test('the doc examples are accepted by the parsers, and the stella example normalises to the documented form', async () => {
  const limits = { maxBytes: 1 << 20, maxLineBytes: 1 << 16, maxNodes: 100, maxEdges: 100 };
  const blocks = [...doc.matchAll(/<!-- example: ([\w.-]+) -->\n```(?:json|ndjson)\n([\s\S]*?)\n```/g)];
  const body = (name: string): string => blocks.find((b) => b[1] === name)![2]!;
  const stella = await parseCallgraph(chunks(body('stella-callgraph-v1.schema.json')), 'json', limits);
  const documented = /<!-- normalised-form -->\n```ndjson\n([\s\S]*?)\n```/.exec(doc)![1]!;
  assert.equal([...normalizedLines(stella)].join(''), `${documented}\n`);
  await parseCallgraph(chunks(`${body('callgraph-ndjson-line.schema.json')}\n`), 'ndjson', limits);
  const factLimits = { maxBytes: 1 << 20, maxLineBytes: 65536, maxFacts: 100 };
  assert.equal((await readFactBatch(chunks(body('runtime-fact.schema.json')), 'ndjson', factLimits)).factCount, 2);
  assert.equal((await readFactBatch(chunks(body('runtime-facts-document.schema.json')), 'json', factLimits)).factCount, 2);
});
