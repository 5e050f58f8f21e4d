/** safeText / safeLines: what human output does to characters a terminal would obey. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { safeJson, safeLines, safeText } from '../../src/cli/output.js';

describe('safeText', () => {
  test('escapes C0 controls (newline, carriage return, ESC, BEL, NUL, tab), DEL and C1 (CSI U+009B)', () => {
    assert.equal(safeText('a\x1b]0;pwned\x07b'), 'a\\x1b]0;pwned\\x07b');
    assert.equal(safeText('x\x1b[2K\rSignature: VALID'), 'x\\x1b[2K\\rSignature: VALID');
    assert.equal(safeText('one\ntwo\tthree\x00\x7f'), 'one\\ntwo\\tthree\\x00\\x7f');
    assert.equal(safeText('\u009b31m\u0085'), '\\x9b31m\\x85');
  });

  test('escapes the bidi embeddings, overrides and isolates that reorder a line', () => {
    for (const c of ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069']) {
      assert.equal(safeText(`a${c}b`), `a\\u${c.charCodeAt(0).toString(16)}b`);
    }
    assert.equal(safeText('model\u202egnp.exe'), 'model\\u202egnp.exe');
  });

  test('leaves printable text alone, including non-Latin scripts and emoji', () => {
    for (const s of ['weights/model-00001.safetensors', 'modèle 日本語 🤖', 'ci@example.com', 'sha256:0a', '\u200d\u00a0'])
      assert.equal(safeText(s), s);
    assert.equal(safeText(42), '42');
  });

  test('safeLines keeps line breaks and escapes everything else', () => {
    assert.equal(safeLines('line 1\nline\r2\x1b[K\n'), 'line 1\nline\\r2\\x1b[K\n');
  });

  test('safeJson writes DEL, C1 and bidi characters as \\u escapes: same JSON value, nothing raw', () => {
    const value = { name: 'a\u202eb\u009bc\u007fd\u2066', n: 1 };
    const text = safeJson(JSON.stringify(value));
    assert.doesNotMatch(text, /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u);
    assert.deepEqual(JSON.parse(text), value);
  });
});
