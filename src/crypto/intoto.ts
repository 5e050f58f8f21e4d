/** in-toto Statement v1 (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md). */
import { z } from 'zod';
import { parseWith } from '../core/validation.js';
import type { ErrorCode } from '../core/errors.js';

export const STATEMENT_TYPE_V1 = 'https://in-toto.io/Statement/v1';
export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface ResourceDescriptor {
  name?: string;
  digest: Record<string, string>;
  annotations?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface Statement<P = unknown> {
  _type: typeof STATEMENT_TYPE_V1;
  subject: ResourceDescriptor[];
  predicateType: string;
  predicate: P;
}

export function buildStatement<P>(subject: ResourceDescriptor[], predicateType: string, predicate: P): Statement<P> {
  return { _type: STATEMENT_TYPE_V1, subject, predicateType, predicate };
}

const SubjectSchema = z.looseObject({
  name: z.string().optional(),
  digest: z
    .record(z.string(), z.string().regex(/^[0-9a-fA-F]+$/, 'digest values are hex'))
    .refine((d) => Object.keys(d).length > 0, 'at least one digest'),
  annotations: z.record(z.string(), z.unknown()).optional(),
});

export const StatementSchema = z.object({
  _type: z.literal(STATEMENT_TYPE_V1),
  subject: z.array(SubjectSchema).min(1, 'at least one subject is required'),
  predicateType: z.string().min(1),
  predicate: z.unknown(),
});

export function parseStatement(input: unknown, code: ErrorCode = 'E_SIGNATURE_FORMAT'): Statement {
  const s = parseWith(StatementSchema, input, 'in-toto statement', code);
  return s;
}
