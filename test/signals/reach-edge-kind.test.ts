import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CERTAIN_EDGES, candidateClass, classifyEdge, edgeCandidates } from '../../src/signals/reach-edge-kind.js';
import type { EdgeClass } from '../../src/signals/reach-types.js';

test('an edge without extra, or without a kind field, is static', () => {
  assert.equal(classifyEdge(undefined), 'static');
  assert.equal(classifyEdge({}), 'static');
  assert.equal(classifyEdge({ reason: 'direct_call', weight: 1 }), 'static');
  assert.equal(classifyEdge({ isResolved: true }), 'static');
});

test('isResolved false is unresolved whatever the kind says', () => {
  for (const kind of [undefined, 'static', 'runtime', 'heuristic', 'virtual', 'whatever']) {
    assert.equal(classifyEdge(kind === undefined ? { isResolved: false } : { isResolved: false, kind }), 'unresolved', String(kind));
  }
  // Only the boolean false: a string "false" is not the field's value.
  assert.equal(classifyEdge({ isResolved: 'false' }), 'static');
  assert.equal(classifyEdge({ isResolved: 0 }), 'static');
});

test('every word of the table, in any case', () => {
  const table: [string, EdgeClass][] = [
    ['static', 'static'],
    ['direct', 'static'],
    ['call', 'static'],
    ['direct_call', 'static'],
    ['invoke', 'static'],
    ['import', 'static'],
    ['runtime', 'runtime'],
    ['observed', 'runtime'],
    ['heuristic', 'heuristic'],
    ['dynamic', 'dynamic'],
    ['virtual', 'dynamic'],
    ['indirect', 'dynamic'],
    ['reflection', 'dynamic'],
    ['reflective', 'dynamic'],
    ['callback', 'dynamic'],
    ['dispatch', 'dynamic'],
  ];
  for (const [word, cls] of table) {
    assert.equal(classifyEdge({ kind: word }), cls, word);
    assert.equal(classifyEdge({ kind: word.toUpperCase() }), cls, word.toUpperCase());
    assert.equal(classifyEdge({ callKind: word }), cls, `callKind ${word}`);
    assert.equal(classifyEdge({ edgeKind: word }), cls, `edgeKind ${word}`);
  }
});

test('an unknown word is dynamic (possible, never certain)', () => {
  for (const word of ['ffi', 'jni', '', 'Static ', 'staticcall'])
    assert.equal(classifyEdge({ kind: word }), 'dynamic', JSON.stringify(word));
});

test('kind, then callKind, then edgeKind: the first that is a string counts', () => {
  assert.equal(classifyEdge({ kind: 'heuristic', callKind: 'static', edgeKind: 'static' }), 'heuristic');
  assert.equal(classifyEdge({ callKind: 'virtual', edgeKind: 'static' }), 'dynamic');
  assert.equal(classifyEdge({ edgeKind: 'runtime' }), 'runtime');
  // Not strings: skipped, the next field decides.
  assert.equal(classifyEdge({ kind: 3, callKind: 'reflection' }), 'dynamic');
  assert.equal(classifyEdge({ kind: null, callKind: { x: 1 }, edgeKind: 'observed' }), 'runtime');
  assert.equal(classifyEdge({ kind: ['virtual'] }), 'static');
});

test('certain edges are static and runtime only', () => {
  assert.deepEqual([...CERTAIN_EDGES].sort(), ['runtime', 'static']);
  for (const c of ['heuristic', 'dynamic', 'unresolved'] as const) assert.equal(CERTAIN_EDGES.has(c), false);
});

test('candidate edges: unresolved stays, a possible class is kept, a certain one becomes dynamic', () => {
  assert.equal(candidateClass('unresolved'), 'unresolved');
  assert.equal(candidateClass('heuristic'), 'heuristic');
  assert.equal(candidateClass('dynamic'), 'dynamic');
  assert.equal(candidateClass('static'), 'dynamic');
  assert.equal(candidateClass('runtime'), 'dynamic');
  assert.deepEqual(edgeCandidates({ candidates: ['a', 1, 'b', null] }), ['a', 'b']);
  assert.deepEqual(edgeCandidates({ candidates: 'a' }), []);
  assert.deepEqual(edgeCandidates(undefined), []);
});
