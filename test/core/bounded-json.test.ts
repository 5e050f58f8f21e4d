/** Defect 5 (issue 12): deeply nested JSON is refused before it is parsed. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_JSON_MAX_DEPTH, jsonNestingDepth, parseJsonBounded } from '../../src/core/bounded-json.js';
import { parseJsonText } from '../../src/core/validation.js';
import { fixturePath, fixtureSkip } from '../helpers/fixtures.js';
import { expectAttestryError } from './helpers.js';

/** Depth as JSON.parse sees it, for the property test. */
function realDepth(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  let deepest = 0;
  for (const x of Object.values(v)) deepest = Math.max(deepest, realDepth(x));
  return deepest + 1;
}

describe('bounded JSON', () => {
  test('the scan measures the depth JSON.parse would build, strings and escapes included', () => {
    assert.equal(jsonNestingDepth('1'), 0);
    assert.equal(jsonNestingDepth('[[],{"a":[1]}]'), 3);
    assert.equal(jsonNestingDepth('["[[[[", "\\"[[[", {"k\\\\": "]]]"}]'), 2);
    assert.equal(jsonNestingDepth(Buffer.from('{"é[": ["ü"]}')), 2);
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), (v) => {
        const text = JSON.stringify(v);
        assert.equal(jsonNestingDepth(text), realDepth(v));
        assert.equal(jsonNestingDepth(Buffer.from(text)), realDepth(v));
      }),
      { numRuns: 300 },
    );
  });

  test('too deep or too large is E_INVALID_INPUT naming the input and the limit', () => {
    const deep = '['.repeat(DEFAULT_JSON_MAX_DEPTH + 1) + ']'.repeat(DEFAULT_JSON_MAX_DEPTH + 1);
    expectAttestryError(
      () => parseJsonBounded(deep, { what: 'signature file x.sig' }),
      'E_INVALID_INPUT',
      /signature file x\.sig/,
      new RegExp(`more than ${DEFAULT_JSON_MAX_DEPTH} levels`),
    );
    assert.deepEqual(
      parseJsonBounded('['.repeat(DEFAULT_JSON_MAX_DEPTH) + ']'.repeat(DEFAULT_JSON_MAX_DEPTH), { what: 'x' }) !== undefined,
      true,
    );
    expectAttestryError(() => parseJsonBounded('[1,2,3]', { what: 'request body', maxDepth: 0 }), 'E_INVALID_INPUT', /more than 0 levels/);
    expectAttestryError(
      () => parseJsonBounded('"' + 'é'.repeat(600) + '"', { what: 'reply', maxBytes: 1000 }),
      'E_INVALID_INPUT',
      /reply is 1202 bytes, over the 1000-byte limit/,
    );
    // Syntax errors keep the caller's code; the limits are always E_INVALID_INPUT.
    expectAttestryError(
      () => parseJsonText('{', 'bundle b.json', 'E_SIGNATURE_FORMAT'),
      'E_SIGNATURE_FORMAT',
      /bundle b\.json is not valid JSON/,
    );
    expectAttestryError(
      () => parseJsonText('['.repeat(200), 'bundle b.json', 'E_SIGNATURE_FORMAT'),
      'E_INVALID_INPUT',
      /bundle b\.json nests/,
    );
  });

  test('every JSON fixture in ../shared/fixtures passes the default depth', (t) => {
    const skip = fixtureSkip('model-transparency');
    if (skip !== false) return t.skip(skip);
    const root = fixturePath();
    let checked = 0;
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        const st = statSync(path);
        if (st.isDirectory()) walk(path);
        else if (st.size < 8 * 1024 * 1024 && /\.(json|sig|sigstore|bundle|jsonl)$/.test(name)) {
          const text = readFileSync(path, 'utf8');
          for (const doc of name.endsWith('.jsonl') ? text.split('\n').filter((l) => l.trim() !== '') : [text]) {
            let ok = true;
            try {
              JSON.parse(doc);
            } catch {
              ok = false;
            }
            if (!ok) continue;
            parseJsonBounded(doc, { what: path });
            checked++;
          }
        }
      }
    };
    walk(root);
    assert.ok(checked > 50, `checked ${checked} fixture documents`);
  });

  test('a 10 MB signature file of nested arrays fails fast with E_INVALID_INPUT and little memory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'attestry-deep-'));
    try {
      const file = join(dir, 'deep.sig');
      const half = 5 * 1024 * 1024;
      writeFileSync(file, '['.repeat(half) + ']'.repeat(half));
      // A fresh process, so RSS measures this read alone.
      const module = new URL('../../src/models/signature-file.js', import.meta.url).href;
      const script = `
        const { readSignatureFile } = await import(${JSON.stringify(module)});
        const before = process.memoryUsage().rss;
        const t0 = performance.now();
        let code = 'none', message = '';
        try { readSignatureFile(${JSON.stringify(file)}); } catch (e) { code = e.code; message = e.message; }
        console.log(JSON.stringify({ code, message, ms: performance.now() - t0, growth: process.memoryUsage().rss - before }));`;
      const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as {
        code: string;
        message: string;
        ms: number;
        growth: number;
      };
      assert.equal(out.code, 'E_INVALID_INPUT', out.message);
      assert.match(out.message, /signature file .*deep\.sig nests JSON .* more than 64 levels/);
      assert.ok(out.growth < 80 * 1024 * 1024, `RSS grew ${(out.growth / 1048576).toFixed(1)} MiB`);
      assert.ok(out.ms < 2000, `took ${out.ms.toFixed(0)} ms`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
