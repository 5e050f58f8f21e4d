import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLanguage, SIGNALS_LANGUAGES } from '../../src/signals/languages.js';
import { expectAttestryError } from '../core/helpers.js';

test('the language list is lower-case, sorted, unique and has what the seed ecosystem uses', () => {
  assert.deepEqual([...SIGNALS_LANGUAGES], [...SIGNALS_LANGUAGES].sort());
  assert.equal(new Set(SIGNALS_LANGUAGES).size, SIGNALS_LANGUAGES.length);
  for (const l of SIGNALS_LANGUAGES) assert.match(l, /^[a-z][a-z0-9]*$/);
  for (const l of [
    'java',
    'javascript',
    'typescript',
    'python',
    'go',
    'dotnet',
    'csharp',
    'ruby',
    'php',
    'rust',
    'c',
    'cpp',
    'kotlin',
    'scala',
    'swift',
    'native',
  ]) {
    assert.ok(SIGNALS_LANGUAGES.includes(l), l);
  }
});

test('parseLanguage returns the listed spelling, forgiving case', () => {
  assert.equal(parseLanguage('javascript'), 'javascript');
  assert.equal(parseLanguage('Java'), 'java');
  assert.equal(parseLanguage('DOTNET'), 'dotnet');
});

test('an unknown language is E_INVALID_INPUT naming the list (§10 rule 3)', () => {
  const e = expectAttestryError(() => parseLanguage('cobol'), 'E_INVALID_INPUT', /"cobol" is not a known language/, /java, javascript/);
  assert.equal(e.httpStatus, 400);
  expectAttestryError(() => parseLanguage(''), 'E_INVALID_INPUT', /expected one of/);
  expectAttestryError(() => parseLanguage(42), 'E_INVALID_INPUT', /expected one of/);
  expectAttestryError(() => parseLanguage(' java'), 'E_INVALID_INPUT');
});
