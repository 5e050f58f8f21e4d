import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { compareOutputs, similarityScore, tokenize } from '../../src/ai/similarity.js';

const BASE =
  'CVE-2024-1234 is a critical vulnerability in lodash 4.17.20 (pkg:npm/lodash@4.17.20). The flaw in the template function allows remote attackers to run code. ';
const LONG = BASE.repeat(6) + 'Upgrade to 4.17.21 to fix it.';

describe('tokenize', () => {
  test('words and single punctuation marks, NFC', () => {
    assert.deepEqual(tokenize('Hello, wörld!!'), ['Hello', ',', 'wörld', '!', '!']);
    assert.deepEqual(tokenize('e\u0301'), ['\u00e9']);
  });
});

describe('compareOutputs', () => {
  test('identical', () => {
    assert.deepEqual(compareOutputs(LONG, LONG), { status: 'identical', similarityScore: 1, details: [] });
  });
  test('whitespace-only difference is semantically equivalent', () => {
    const r = compareOutputs('a  b\n c', ' a b c ');
    assert.equal(r.status, 'semantically-equivalent');
    assert.ok(r.details.some((d) => d.type === 'content_divergence'));
  });
  test('one synonym in a long text is equivalent with score ≥ 0.95', () => {
    const r = compareOutputs(LONG, LONG.replace('allows remote', 'permits remote'));
    assert.equal(r.status, 'semantically-equivalent');
    assert.ok(r.similarityScore >= 0.95 && r.similarityScore < 1);
  });
  test('a changed CVE id or version is divergent though similar', () => {
    for (const changed of [LONG.replace('CVE-2024-1234', 'CVE-2024-1235'), LONG.replace('4.17.21', '4.17.22')]) {
      const r = compareOutputs(LONG, changed);
      assert.ok(r.similarityScore >= 0.95);
      assert.equal(r.status, 'divergent');
    }
  });
  test('short fully different texts are divergent with score near 0', () => {
    const r = compareOutputs('alpha beta gamma', 'one two three');
    assert.equal(r.status, 'divergent');
    assert.equal(r.similarityScore, 0);
  });
  test('position and snippets on a small case', () => {
    const r = compareOutputs('the vulnerability allows code', 'the vulnerability permits code!');
    assert.deepEqual(r.details[0], {
      type: 'content_divergence',
      description: 'Content differs at position',
      position: 18,
      originalSnippet: 'the vulnerability allows code',
      replayedSnippet: 'the vulnerability permits code!',
    });
    assert.equal(r.details[1]?.type, 'length_divergence');
    const long = 'x'.repeat(100);
    const r2 = compareOutputs(long + 'A' + long, long + 'B' + long);
    assert.equal(r2.details[0]?.position, 100);
    assert.equal(r2.details[0]?.originalSnippet, `...${'x'.repeat(40)}A${'x'.repeat(39)}...`);
    assert.equal(r2.details.length, 1);
  });
  test('similarity: empty texts, exact distance', () => {
    assert.equal(similarityScore('', ''), 1);
    assert.equal(similarityScore('a b c d', 'a x c d'), 0.75);
  });
  // How fast is bench:ai's (timings stay out of npm test); here: the banded path's answers on 50,000 tokens.
  test('50,000-token inputs: one substitution scores 1 − 1/50000, unrelated texts score low', () => {
    const words = (seed: number): string => Array.from({ length: 50000 }, (_, i) => `w${(i * seed) % 997}`).join(' ');
    const s = similarityScore(words(7), words(13));
    assert.ok(s >= 0 && s < 0.5, `unrelated: ${s}`);
    const a = words(7);
    const b = a.replace('w7 ', 'zz ');
    assert.equal(similarityScore(a, b), 1 - 1 / 50000);
  });
});
