/**
 * A one-line progress display on stderr, shown only on a TTY and never in
 * --json mode. Sizes and rates use the binary units of formatBytes and
 * formatRate (MiB and MiB/s, GiB and GiB/s), so the bar and the summary
 * printed after it agree; the ETA is the remaining bytes at the average
 * rate so far.
 */
import { formatBytes, formatRate } from './output.js';

export type ProgressCallback = (done: number, total: number) => void;

const BAR_WIDTH = 28;

/** "7s", "1m05s", "2h03m"; "--" when unknown (no progress yet). */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The text of the bar after `elapsedMs` with `done` of `total` bytes hashed. */
export function progressLine(label: string, done: number, total: number, elapsedMs: number, width = BAR_WIDTH): string {
  const frac = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  const filled = Math.round(frac * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const pct = `${(frac * 100).toFixed(0).padStart(3)}%`;
  const parts = [label, bar, pct, `${formatBytes(done)}/${formatBytes(total)}`];
  if (elapsedMs > 0 && done > 0) {
    parts.push(formatRate(done, elapsedMs));
    const remaining = Math.max(0, total - done);
    parts.push(`ETA ${formatEta(remaining / (done / (elapsedMs / 1000)))}`);
  } else {
    parts.push('ETA --');
  }
  return parts.join(' ');
}

export function progressBar(label: string, enabled: boolean): { update: ProgressCallback; finish: () => void } {
  if (!enabled || !process.stderr.isTTY) return { update: () => undefined, finish: () => undefined };
  const started = Date.now();
  let last = 0;
  return {
    update: (done, total) => {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      // \x1b[K clears what a longer earlier line left behind.
      process.stderr.write(`\r${progressLine(label, done, total, now - started)}\x1b[K`);
    },
    finish: () => {
      if (last > 0) process.stderr.write('\r\x1b[K');
    },
  };
}
