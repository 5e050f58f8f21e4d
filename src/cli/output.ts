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
export function failureJson(
  code: ErrorCode,
  message: string,
  extra: object = {},
  details?: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  // ok, code and message come first and cannot be overridden by the extra fields.
  const out: Record<string, unknown> = { ok: false, code, message, ...(details === undefined ? {} : { details }), ...extra };
  return Object.assign(out, { ok: false, code, message });
}

export function writeJson(value: unknown): void {
  process.stdout.write(`${safeJson(JSON.stringify(value, jsonReplacer, 2))}\n`);
}

/** Prints a success: `{"ok": true, ...data}` with --json, `human()` otherwise. */
export function emit(options: OutputOptions, data: object, human: () => string): void {
  if (options.json) writeJson(successJson(data));
  // A second line of defence: whatever a formatter forgot to pass through safeText, no escape reaches the terminal.
  else process.stdout.write(`${safeLines(human())}\n`);
}

/**
 * Terminal-hostile characters: C0 controls (with newline and tab), DEL, C1
 * controls, and the Unicode bidi embeddings, overrides and isolates
 * (U+202A–U+202E, U+2066–U+2069) that reorder what a terminal shows.
 */
const HOSTILE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu;
const HOSTILE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu;
const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return SHORT_ESCAPES[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/**
 * Any value from a file, a signature or a server, made safe to print in
 * human output: control and bidi characters become visible escapes (`\x1b`,
 * `\n`, `\u202e`), so a file name or signer id cannot move the cursor, set
 * the window title or forge an output line. JSON output needs none of this
 * (JSON.stringify escapes control characters; bidi characters stay exact).
 */
export function safeText(value: unknown): string {
  return String(value).replace(HOSTILE, escapeChar);
}

/**
 * JSON.stringify escapes C0 controls but writes DEL, C1 and bidi characters
 * raw; they can only occur inside strings, so writing them as \u escapes keeps
 * the JSON exactly the same value while a terminal showing it obeys nothing.
 */
export function safeJson(json: string): string {
  return json.replace(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** As safeText, but keeps line breaks: for whole blocks of human output. */
export function safeLines(text: string): string {
  return text.replace(HOSTILE_BUT_NEWLINE, escapeChar);
}

/**
 * Prints a failure that is a result rather than an exception (a verification
 * that ran and found problems): the failure shape carrying `data`, and sets
 * the exit code of `code` (2 for verification failures).
 */
export function emitFailure(options: OutputOptions, code: ErrorCode, message: string, data: object, human: () => string): void {
  if (options.json) writeJson(failureJson(code, message, data));
  else process.stdout.write(`${safeLines(human())}\n`);
  process.exitCode = ERROR_CODES[code].exit;
}

/** A verification's outcome: `emit` when it passed, `emitFailure` with `failure` when it did not. */
export function emitVerdict(
  options: OutputOptions,
  failure: { code: ErrorCode; message: string } | undefined,
  data: object,
  human: () => string,
): void {
  if (failure === undefined) emit(options, data, human);
  else emitFailure(options, failure.code, failure.message, data, human);
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Prints an error and returns the exit code for it. */
export function reportError(e: unknown, json: boolean): number {
  const err = e instanceof AttestryError ? e : new AttestryError('E_INTERNAL', e instanceof Error ? e.message : String(e), { cause: e });
  if (json) {
    writeJson(failureJson(err.code, err.message, {}, err.details));
  } else {
    // Messages quote file names and server replies: escape them. A verification that ran and failed says so first.
    process.stderr.write(`attestry: ${err.exitCode === 2 ? 'FAILED: ' : ''}${safeText(err.message)} [${err.code}]\n`);
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

/** Binary units, as formatBytes, so "1.0 GiB at 1.3 GiB/s" reads in one system. */
export function formatRate(bytes: number, ms: number): string {
  if (ms <= 0) return '-';
  const perSecond = bytes / (ms / 1000);
  return perSecond >= 2 ** 30 ? `${(perSecond / 2 ** 30).toFixed(2)} GiB/s` : `${(perSecond / 2 ** 20).toFixed(1)} MiB/s`;
}
