/**
 * `attestry attest verify --chain FILE` (issue 17): everything between a
 * generation and its published VEX, checked by ReviewUseCases.verifyChain,
 * in-process on the data directory or on a service. 0 valid; 2 a check
 * failed, named first in the message; 1 the file could not be read.
 */
import { resolve } from 'node:path';
import type { ChainCheck, ChainVerification } from '../../ai/review-use-cases.js';
import { AttestryError, type ErrorCode } from '../../core/errors.js';
import { readJsonFile } from '../ai-local.js';
import { emitVerdict, safeText } from '../output.js';
import { withReview, type ReviewFlags } from '../review-local.js';

/** The checks about signatures fail as a signature does; the rest as evidence that does not match. */
const SIGNATURE_CHECKS: ReadonlySet<ChainCheck['name']> = new Set(['vex-signature', 'transition-signatures']);

function failureOf(v: ChainVerification): { code: ErrorCode; message: string } | undefined {
  if (v.valid) return undefined;
  const failed = v.checks.find((c) => c.name === v.failedCheck) ?? v.checks.find((c) => c.ok === false);
  const name = failed?.name ?? v.failedCheck ?? 'chain';
  return {
    code: failed !== undefined && SIGNATURE_CHECKS.has(failed.name) ? 'E_SIGNATURE_INVALID' : 'E_DIGEST_MISMATCH',
    message: `${name}: ${failed?.message ?? 'the chain does not verify'}`,
  };
}

export function chainLines(file: string, v: ChainVerification): string {
  return [
    `${v.valid ? 'VERIFIED' : 'INVALID'}: chain of ${safeText(file)}${v.artifactId === null ? '' : ` (${v.artifactId})`}${v.failedCheck === null ? '' : `; failed check: ${v.failedCheck}`}`,
    ...v.checks.map((c) => `  ${c.ok === null ? 'skip' : c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${safeText(c.message)}`),
  ].join('\n');
}

export async function verifyChainFile(
  file: string,
  flags: ReviewFlags & { manifest?: string; key?: string; replay?: boolean; model?: string },
): Promise<void> {
  const other = [flags.manifest && '--manifest', flags.key && '--key', flags.replay && '--replay', flags.model && '--model'].find(Boolean);
  if (other) throw new AttestryError('E_USAGE', `${other} is for an AI attestation; --chain reads the stored chain`);
  const attestation = readJsonFile(file, 'attestation', 16 * 1024 * 1024);
  await withReview(flags, async (l) => {
    const v = await l.review.verifyChain(l.principal, { attestation, tenant: l.tenant });
    emitVerdict(flags, failureOf(v), { ...v, file: resolve(file) }, () => chainLines(file, v));
  });
}
