import type { z } from 'zod';
import { AttestryError, type ErrorCode } from './errors.js';

/**
 * Parse, don't cast: runs a zod schema over untrusted input and, on failure,
 * throws one error that names every bad field with its path.
 */
export function parseWith<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
  code: ErrorCode = 'E_INVALID_INPUT',
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
    return `${path}: ${issue.message}`;
  });
  throw new AttestryError(code, `invalid ${what}: ${problems.join('; ')}`, { details: { problems } });
}

/** JSON.parse with an error that says which input was not JSON. */
export function parseJsonText(text: string, what: string, code: ErrorCode = 'E_INVALID_INPUT'): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new AttestryError(code, `${what} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}
