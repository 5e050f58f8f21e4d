import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertDeterministic, determinismViolations } from '../../src/ai/determinism.js';
import { AttestryError } from '../../src/core/errors.js';

const OK = { temperature: 0, seed: 42, maxTokens: 256, topK: 1, topP: 1 };

test('deterministic parameters have no violations', () => {
  assert.deepEqual(determinismViolations(OK), []);
  assertDeterministic(OK, true);
});

test('each violation names its key', () => {
  const v = determinismViolations({ temperature: 0.7, seed: null, maxTokens: 256, topK: 40, topP: 0.9 });
  assert.equal(v.length, 4);
  for (const [i, key] of ['temperature', 'seed', 'topK', 'topP'].entries())
    assert.match(v[i]!, new RegExp(`advisoryAi\\.inference\\.local\\.${key}`));
});

test('assertDeterministic throws only when required', () => {
  const bad = { ...OK, temperature: 0.5 };
  assertDeterministic(bad, false);
  assert.throws(
    () => assertDeterministic(bad, true),
    (e: unknown) => e instanceof AttestryError && e.code === 'E_NONDETERMINISTIC' && e.message.includes('temperature'),
  );
});
