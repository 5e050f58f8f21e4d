import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePurl } from '../../src/signals/purl.js';
import { isSymbolId, parseSymbolId, MAX_SYMBOL_ID_LENGTH } from '../../src/signals/symbol-id.js';
import { expectAttestryError } from '../core/helpers.js';

test('the seed example PURL parses; the key drops the version', () => {
  assert.deepEqual(parsePurl('pkg:npm/%40acme/backend@1.2.3'), {
    canonical: 'pkg:npm/%40acme/backend@1.2.3',
    key: 'pkg:npm/%40acme/backend',
    version: '1.2.3',
  });
});

test('case-insensitive types are lower-cased; qualifiers and subpath are kept in canonical, dropped from the key', () => {
  const p = parsePurl('pkg:NPM/%40Acme/BackEnd@1.2.3?os=linux&arch=x64#lib/index.js');
  assert.equal(p.key, 'pkg:npm/%40acme/backend');
  assert.equal(p.canonical, 'pkg:npm/%40acme/backend@1.2.3?arch=x64&os=linux#lib/index.js');
  assert.equal(parsePurl('pkg:pypi/Django_Rest@3.0').key, 'pkg:pypi/django-rest');
  assert.equal(parsePurl('pkg:github/Foo/Bar').version, null);
  // Maven is case-sensitive per the PURL spec.
  assert.equal(parsePurl('pkg:maven/org.Apache/Commons@1').key, 'pkg:maven/org.Apache/Commons');
  // Same package with and without version share the key (by-purl matching).
  assert.equal(parsePurl('pkg:npm/left-pad').key, parsePurl('pkg:npm/left-pad@1.3.0').key);
});

test('invalid PURLs are E_INVALID_INPUT naming the field (§10 rule 5)', () => {
  expectAttestryError(() => parsePurl('not-a-purl'), 'E_INVALID_INPUT', /^componentPurl: "not-a-purl" is not a valid Package URL/);
  expectAttestryError(() => parsePurl('pkg:npm/'), 'E_INVALID_INPUT', /name/);
  expectAttestryError(() => parsePurl('pkg:maven/commons@1'), 'E_INVALID_INPUT', /namespace/);
  // packageurl-js 2.0.1 throws a ReferenceError here; it must still be a clean 400.
  expectAttestryError(() => parsePurl('pkg:golang/github.com/foo/bar@v1'), 'E_INVALID_INPUT', /not a valid Package URL/);
  expectAttestryError(() => parsePurl(7, 'purl'), 'E_INVALID_INPUT', /^purl: expected a Package URL/);
  expectAttestryError(() => parsePurl(`pkg:npm/${'a'.repeat(3000)}`), 'E_INVALID_INPUT', /longer than 2048/);
});

test('symbol ids: opaque, 1..1024 characters, no control/format/separator characters, inner spaces only', () => {
  for (const ok of [
    'sym:java:com.acme.Foo.bar(java.lang.String)',
    'operator new(unsigned long)',
    '0x7f00:main',
    'sym:python:mod.ünïcode',
    '😀',
    'x'.repeat(MAX_SYMBOL_ID_LENGTH),
  ]) {
    assert.equal(parseSymbolId(ok, 'symbolId'), ok);
  }
  for (const bad of [
    '',
    ' lead',
    'trail ',
    'tab\there',
    'nl\n',
    'nul\u0000',
    'del\u007f',
    'bidi\u202e',
    'zw\u200b',
    'nbsp\u00a0x',
    'ls\u2028x',
    '\ud800lone',
    'x'.repeat(MAX_SYMBOL_ID_LENGTH + 1),
  ]) {
    assert.equal(isSymbolId(bad), false, JSON.stringify(bad));
    expectAttestryError(() => parseSymbolId(bad, 'line 3'), 'E_INVALID_INPUT', /^line 3: not a valid symbol id/);
  }
  expectAttestryError(() => parseSymbolId(undefined, 'symbolId'), 'E_INVALID_INPUT', /missing/);
  expectAttestryError(() => parseSymbolId(12, 'symbolId'), 'E_INVALID_INPUT', /expected a string, got a number/);
  expectAttestryError(() => parseSymbolId('a\tb', 'x'), 'E_INVALID_INPUT', /U\+0009 at position 1/);
});
