import { AttestryError } from '../core/errors.js';

/**
 * Seed 000 §10 rule 3: a callgraph's `language` must be a known identifier.
 * The seed names none, so this is the documented list (docs/signals.md):
 * the languages StellaOps scanners and runtime agents produce graphs for,
 * lower-case, one spelling each. `dotnet` covers IL-level graphs of any .NET
 * language; `csharp`/`fsharp`/`vbnet` are kept for source-level analysers.
 * `native` is machine code (ELF, PE, Mach-O) without a source language.
 */
export const SIGNALS_LANGUAGES: readonly string[] = Object.freeze([
  'c',
  'clojure',
  'cpp',
  'csharp',
  'dart',
  'dotnet',
  'elixir',
  'erlang',
  'fsharp',
  'go',
  'groovy',
  'haskell',
  'java',
  'javascript',
  'kotlin',
  'lua',
  'native',
  'objc',
  'perl',
  'php',
  'python',
  'ruby',
  'rust',
  'scala',
  'swift',
  'typescript',
  'vbnet',
]);

const KNOWN = new Set(SIGNALS_LANGUAGES);

/**
 * Returns the language identifier in its listed (lower-case) spelling.
 * Case is forgiven (`Java` is `java`) because scanners differ in how they
 * print it; anything else off the list is refused with the list, so the
 * caller can fix the request without reading the docs.
 */
export function parseLanguage(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new AttestryError('E_INVALID_INPUT', `language: expected one of ${SIGNALS_LANGUAGES.join(', ')}`, {
      details: { field: 'language', known: [...SIGNALS_LANGUAGES] },
    });
  }
  const lowered = value.toLowerCase();
  if (!KNOWN.has(lowered)) {
    const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    throw new AttestryError(
      'E_INVALID_INPUT',
      `language: "${shown}" is not a known language identifier; use one of ${SIGNALS_LANGUAGES.join(', ')}`,
      { details: { field: 'language', known: [...SIGNALS_LANGUAGES] } },
    );
  }
  return lowered;
}
