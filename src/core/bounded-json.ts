import { AttestryError, type ErrorCode } from './errors.js';

/**
 * JSON.parse with limits checked first. V8 parses deep nesting without
 * overflowing its stack, but a 10 MB file of `[[[[…` costs over 600 MB of
 * heap, and every walker after the parse (schema validation, canonical JSON,
 * reply serialisation) recurses once per level. So depth and size are checked
 * BEFORE parsing, by a linear scan that allocates nothing: the cost of a
 * hostile input is one pass over bytes we already hold.
 *
 * No attestry format nests deeply: OMS signatures, Sigstore bundles, trusted
 * roots and registries are at most 7 levels deep (all fixtures in
 * ../shared/fixtures and test/fixtures), so 64 leaves room for any real
 * predicate while keeping every recursive walker cheap.
 */
export const DEFAULT_JSON_MAX_DEPTH = 64;

export interface JsonLimits {
  /** What the input is, for the error message: `signature file model.sig`, `request body`. */
  readonly what: string;
  /** Most `[`/`{` levels open at once (default DEFAULT_JSON_MAX_DEPTH). */
  readonly maxDepth?: number;
  /** Largest input in bytes (UTF-8); none by default (callers usually bound their reads). */
  readonly maxBytes?: number;
  /** Code for a syntax error (limits are always E_INVALID_INPUT). */
  readonly code?: ErrorCode;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_SQUARE = 0x5b;
const CLOSE_SQUARE = 0x5d;
const OPEN_CURLY = 0x7b;
const CLOSE_CURLY = 0x7d;

/**
 * Returns the deepest nesting in `input`, stopping (and returning
 * `limit + 1`) as soon as `limit` is exceeded. Brackets inside strings do not
 * count; `\"` does not end a string. Works on UTF-16 code units and on UTF-8
 * bytes alike, since every byte of a multi-byte UTF-8 sequence is ≥ 0x80 and
 * cannot be mistaken for a quote, backslash or bracket. Malformed JSON is
 * left for JSON.parse to report.
 */
export function jsonNestingDepth(input: string | Uint8Array, limit = Number.MAX_SAFE_INTEGER): number {
  const isText = typeof input === 'string';
  const n = input.length;
  const at = isText ? (i: number): number => input.charCodeAt(i) : (i: number): number => input[i] as number;
  // Native search for the next quote; strings (base64 payloads, signatures) are most of the bytes.
  const nextQuote = isText ? (from: number): number => input.indexOf('"', from) : (from: number): number => input.indexOf(QUOTE, from);
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < n; i++) {
    const c = at(i);
    if (c === QUOTE) {
      // Skip to the closing quote: one preceded by an even number of backslashes.
      // Each backslash is counted once, so the scan stays linear.
      let from = i + 1;
      for (;;) {
        const q = nextQuote(from);
        if (q === -1) return deepest; // unterminated: JSON.parse reports it
        let backslashes = 0;
        for (let k = q - 1; k > i && at(k) === BACKSLASH; k--) backslashes++;
        if (backslashes % 2 === 0) {
          i = q;
          break;
        }
        from = q + 1;
      }
    } else if (c === OPEN_SQUARE || c === OPEN_CURLY) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === CLOSE_SQUARE || c === CLOSE_CURLY) {
      // Unbalanced closers are a syntax error for JSON.parse; never go negative.
      if (depth > 0) depth--;
    }
  }
  return deepest;
}

/** Throws E_INVALID_INPUT when `input` is over `maxBytes` or nests deeper than `maxDepth`. */
export function checkJsonLimits(input: string | Uint8Array, limits: JsonLimits): void {
  const maxDepth = limits.maxDepth ?? DEFAULT_JSON_MAX_DEPTH;
  if (limits.maxBytes !== undefined) {
    // A string's UTF-8 size is at most 3 bytes per UTF-16 unit; count only when it could matter.
    const size = typeof input === 'string' ? (input.length * 3 <= limits.maxBytes ? 0 : Buffer.byteLength(input, 'utf8')) : input.length;
    if (size > limits.maxBytes) {
      throw new AttestryError('E_INVALID_INPUT', `${limits.what} is ${size} bytes, over the ${limits.maxBytes}-byte limit for JSON input`, {
        details: { limit: 'maxBytes', maxBytes: limits.maxBytes, size },
      });
    }
  }
  if (jsonNestingDepth(input, maxDepth) > maxDepth) {
    throw new AttestryError(
      'E_INVALID_INPUT',
      `${limits.what} nests JSON arrays/objects more than ${maxDepth} levels deep; no attestry format needs that, so it was refused unparsed`,
      {
        details: { limit: 'maxDepth', maxDepth },
      },
    );
  }
}

/**
 * The one way attestry parses untrusted JSON: limits first, then JSON.parse.
 * Bytes are decoded as UTF-8 only after the limits hold.
 */
export function parseJsonBounded(input: string | Uint8Array, limits: JsonLimits): unknown {
  checkJsonLimits(input, limits);
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new AttestryError(limits.code ?? 'E_INVALID_INPUT', `${limits.what} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}
