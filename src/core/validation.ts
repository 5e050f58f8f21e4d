import type { z } from 'zod';
import { parseJsonBounded } from './bounded-json.js';
import { AttestryError, type ErrorCode } from './errors.js';

/**
 * Parse, don't cast: runs a zod schema over untrusted input and, on failure,
 * throws one error that names every bad field with its path.
 */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: string, code: ErrorCode = 'E_INVALID_INPUT'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
    return `${path}: ${issue.message}`;
  });
  throw new AttestryError(code, `invalid ${what}: ${problems.join('; ')}`, { details: { problems } });
}

/**
 * JSON.parse with an error that says which input was not JSON, behind the
 * depth (and optional size) limits of parseJsonBounded: every caller parses
 * untrusted text (signature files, bundles, trusted roots, registries, DSSE
 * payloads), so none may get an unbounded parse.
 */
export function parseJsonText(
  text: string,
  what: string,
  code: ErrorCode = 'E_INVALID_INPUT',
  limits: { maxDepth?: number; maxBytes?: number } = {},
): unknown {
  return parseJsonBounded(text, { ...limits, what, code });
}
