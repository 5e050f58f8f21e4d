/**
 * RFC 8785 JSON Canonicalization Scheme (JCS).
 *
 * Hand-written on purpose: it decides which bytes get signed, so it must be
 * exact and small enough to audit. ECMAScript already provides the two hard
 * parts the RFC is built on: Number serialisation (RFC 8785 §3.2.2.3 is
 * defined as ES `Number.prototype.toString`) and JSON string escaping
 * (§3.2.2.2 matches `JSON.stringify` for well-formed strings). What remains is
 * key ordering by UTF-16 code units (§3.2.3), rejecting what JSON cannot hold
 * (non-finite numbers, lone surrogates), and refusing non-plain values.
 */
import { AttestryError } from './errors.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function canonicalize(value: unknown): string {
  const out: string[] = [];
  write(value, out, '$');
  return out.join('');
}

export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}

// A lone surrogate cannot be encoded in UTF-8, so I-JSON (RFC 7493 §2.1) forbids it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function writeString(s: string, out: string[], path: string): void {
  if (LONE_SURROGATE.test(s)) {
    throw new AttestryError('E_INVALID_INPUT', `${path}: string contains a lone surrogate and cannot be canonicalised`);
  }
  out.push(JSON.stringify(s));
}

function write(value: unknown, out: string[], path: string): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new AttestryError('E_INVALID_INPUT', `${path}: ${value} is not a JSON number`);
      }
      // ES Number serialisation; -0 becomes "0" as RFC 8785 §3.2.2.3 requires.
      out.push(Object.is(value, -0) ? '0' : String(value));
      return;
    case 'string':
      writeString(value, out, path);
      return;
    case 'object':
      break;
    default:
      throw new AttestryError('E_INVALID_INPUT', `${path}: a ${typeof value} cannot be represented in JSON`);
  }
  if (Array.isArray(value)) {
    out.push('[');
    // An index loop, not forEach: holes in sparse arrays must serialise as null.
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      const item: unknown = value[i];
      write(item === undefined ? null : item, out, `${path}[${i}]`);
    }
    out.push(']');
    return;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    throw new AttestryError('E_INVALID_INPUT', `${path}: only plain objects can be canonicalised`);
  }
  const record = value as Record<string, unknown>;
  // Default sort compares UTF-16 code units, which is what RFC 8785 §3.2.3 specifies.
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  out.push('{');
  keys.forEach((key, i) => {
    if (i > 0) out.push(',');
    writeString(key, out, path);
    out.push(':');
    write(record[key], out, `${path}.${key}`);
  });
  out.push('}');
}
