/**
 * How commands print: JSON on --json, human text otherwise; errors map to exit codes.
 *
 * Every command speaks one JSON shape, so scripts need one parser:
 * success is `{"ok": true, ...}`, failure `{"ok": false, "code": "E_…", "message": "…"}`
 * (plus `details` when the error has them, and whatever the command adds, such
 * as the list of bad files of a failed verification). Build them with
 * `successJson` / `failureJson`, or print them with `emit` / `emitFailure` /
 * `reportError`.
 */
import { AttestryError, ERROR_CODES, type ErrorCode } from '../core/errors.js';

export interface OutputOptions {
  json?: boolean;
}

/** The success shape: `ok: true` first, then the command's fields (an explicit `ok` in `data` wins). */
export function successJson(data: object): Record<string, unknown> {
  return { ok: true, ...data };
}

/** The failure shape: `{ok: false, code, message[, details]}`, then any extra fields the command reports. */
export function failureJson(code: ErrorCode, message: string, extra: object = {}, details?: Readonly<Record<string, unknown>>): Record<string, unknown> {
  // ok, code and message come first and cannot be overridden by the extra fields.
  const out: Record<string, unknown> = { ok: false, code, message, ...(details === undefined ? {} : { details }), ...extra };
  return Object.assign(out, { ok: false, code, message });
}

export function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
}

/** Prints a success: `{"ok": true, ...data}` with --json, `human()` otherwise. */
export function emit(options: OutputOptions, data: object, human: () => string): void {
  if (options.json) writeJson(successJson(data));
  else process.stdout.write(`${human()}\n`);
}

/**
 * Prints a failure that is a result rather than an exception (a verification
 * that ran and found problems): the failure shape carrying `data`, and sets
 * the exit code of `code` (2 for verification failures).
 */
export function emitFailure(options: OutputOptions, code: ErrorCode, message: string, data: object, human: () => string): void {
  if (options.json) writeJson(failureJson(code, message, data));
  else process.stdout.write(`${human()}\n`);
  process.exitCode = ERROR_CODES[code].exit;
}

/** A verification's outcome: `emit` when it passed, `emitFailure` with `failure` when it did not. */
export function emitVerdict(options: OutputOptions, failure: { code: ErrorCode; message: string } | undefined, data: object, human: () => string): void {
  if (failure === undefined) emit(options, data, human);
  else emitFailure(options, failure.code, failure.message, data, human);
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Prints an error and returns the exit code for it. */
export function reportError(e: unknown, json: boolean): number {
  const err =
    e instanceof AttestryError
      ? e
      : new AttestryError('E_INTERNAL', e instanceof Error ? e.message : String(e), { cause: e });
  if (json) {
    writeJson(failureJson(err.code, err.message, {}, err.details));
  } else {
    process.stderr.write(`attestry: ${err.message} [${err.code}]\n`);
    if (err.code === 'E_INTERNAL' && process.env['ATTESTRY_DEBUG'] && e instanceof Error && e.stack) {
      process.stderr.write(`${e.stack}\n`);
    }
  }
  return err.exitCode;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

export function formatRate(bytes: number, ms: number): string {
  if (ms <= 0) return '-';
  const perSecond = bytes / (ms / 1000);
  return perSecond >= 1e9 ? `${(perSecond / 1e9).toFixed(2)} GB/s` : `${(perSecond / 1e6).toFixed(1)} MB/s`;
}
