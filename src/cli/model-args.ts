/**
 * One spelling for the same thing across `model` commands: the model path as
 * a positional argument (as model_signing takes it) or `--model-dir`, and the
 * signature file as `--signature` (sign keeps `--output` as an alias). Giving
 * both spellings with different values is refused rather than guessed.
 */
import { resolve } from 'node:path';
import { AttestryError, type ErrorCode } from '../core/errors.js';

function same(a: string, b: string): boolean {
  return resolve(a) === resolve(b);
}

/** The model path from `[model]` or `--model-dir`; undefined when neither was given. */
export function modelPathFrom(positional: string | undefined, modelDir: string | undefined): string | undefined {
  if (positional !== undefined && modelDir !== undefined && !same(positional, modelDir)) {
    throw new AttestryError(
      'E_USAGE',
      `the model path is given twice and differs: "${positional}" and --model-dir "${modelDir}"; give one`,
    );
  }
  return positional ?? modelDir;
}

/** Like modelPathFrom, but one of the two is required. */
export function requireModelPath(command: string, positional: string | undefined, modelDir: string | undefined): string {
  const path = modelPathFrom(positional, modelDir);
  if (path === undefined)
    throw new AttestryError(
      'E_USAGE',
      `give the model directory (or file): \`attestry model ${command} ./my-model\` or --model-dir ./my-model`,
    );
  return path;
}

/** `sign`'s signature file from `--signature` or its alias `--output`. */
export function signatureOutputFrom(flags: { signature?: string; output?: string }): string | undefined {
  if (flags.signature !== undefined && flags.output !== undefined && !same(flags.signature, flags.output)) {
    throw new AttestryError(
      'E_USAGE',
      `--signature "${flags.signature}" and --output "${flags.output}" name the same file but differ; give one`,
    );
  }
  return flags.signature ?? flags.output;
}

/** The failure `model verify --json` reports when the signature is valid but files do not match it. */
export function filesFailure(problems: readonly { kind: string; name: string }[]): { code: ErrorCode; message: string } {
  const named = problems
    .slice(0, 3)
    .map((p) => `${p.kind} ${p.name}`)
    .join(', ');
  return { code: 'E_DIGEST_MISMATCH', message: `${problems.length} file problem(s): ${named}${problems.length > 3 ? ', …' : ''}` };
}
