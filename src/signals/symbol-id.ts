import { AttestryError } from '../core/errors.js';

/**
 * Symbol ids (`sym:java:com.acme.Foo.bar(java.lang.String)`, ELF addresses,
 * mangled C++ names) are opaque to Signals: they are compared, never
 * interpreted. What is checked is what keeps them safe to store, index,
 * print and use as keys:
 *
 * - 1 to MAX_SYMBOL_ID_LENGTH UTF-16 code units;
 * - no control characters (C0, DEL, C1), no format characters (bidi
 *   overrides, zero-width joiners: they make two different ids look alike),
 *   no lone surrogates (they cannot be written as UTF-8), no line or
 *   paragraph separators;
 * - the only whitespace is U+0020 SPACE (C++ names such as
 *   `operator new(unsigned long)` need it), and not at either end.
 *
 * Node ids of a callgraph follow the same rules.
 */
export const MAX_SYMBOL_ID_LENGTH = 1024;

// \p{Cs} in a `u` regex matches a lone surrogate; paired ones form one code point.
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/u;

/** Whether `value` is a valid symbol id; the hot paths call this and build the error themselves. */
export function isSymbolId(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const n = value.length;
  if (n === 0 || n > MAX_SYMBOL_ID_LENGTH) return false;
  if (value.charCodeAt(0) === 0x20 || value.charCodeAt(n - 1) === 0x20) return false;
  return !FORBIDDEN.test(value);
}

/** Why `value` is not a symbol id, for the message (only called on failure). */
export function symbolIdProblem(value: unknown): string {
  if (typeof value !== 'string') return value === undefined ? 'missing' : `expected a string, got ${jsonType(value)}`;
  if (value.length === 0) return 'empty';
  if (value.length > MAX_SYMBOL_ID_LENGTH) return `${value.length} characters, more than ${MAX_SYMBOL_ID_LENGTH}`;
  if (value.startsWith(' ') || value.endsWith(' ')) return 'starts or ends with a space';
  const bad = FORBIDDEN.exec(value);
  const at = bad?.index ?? 0;
  const code = value.codePointAt(at) ?? 0;
  return `character U+${code.toString(16).toUpperCase().padStart(4, '0')} at position ${at} is not allowed (control, format, separator or whitespace other than space)`;
}

/** Returns the symbol id unchanged, or E_INVALID_INPUT naming `where` (a field, a line). */
export function parseSymbolId(value: unknown, where: string): string {
  if (isSymbolId(value)) return value;
  throw new AttestryError('E_INVALID_INPUT', `${where}: not a valid symbol id: ${symbolIdProblem(value)}`, { details: { where } });
}

/** The JSON type name of a parsed value, for messages. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'object':
      return 'an object';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    default:
      return typeof value;
  }
}
