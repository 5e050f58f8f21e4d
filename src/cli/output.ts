/** How commands print: JSON on --json, human text otherwise; errors map to exit codes. */
import { AttestryError } from '../core/errors.js';

export interface OutputOptions {
  json?: boolean;
}

export function emit(options: OutputOptions, data: unknown, human: () => string): void {
  if (options.json) process.stdout.write(`${JSON.stringify(data, jsonReplacer, 2)}\n`);
  else process.stdout.write(`${human()}\n`);
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
    process.stdout.write(`${JSON.stringify({ ok: false, error: err.toJSON() }, null, 2)}\n`);
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

/** Binary units, as formatBytes, so "1.0 GiB at 1.3 GiB/s" reads in one system. */
export function formatRate(bytes: number, ms: number): string {
  if (ms <= 0) return '-';
  const perSecond = bytes / (ms / 1000);
  return perSecond >= 2 ** 30 ? `${(perSecond / 2 ** 30).toFixed(2)} GiB/s` : `${(perSecond / 2 ** 20).toFixed(1)} MiB/s`;
}
