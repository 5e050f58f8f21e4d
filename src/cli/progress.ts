/** A one-line progress display on stderr, shown only on a TTY and never in --json mode. */
import { formatBytes } from './output.js';

export type ProgressCallback = (done: number, total: number) => void;

export function progressBar(label: string, enabled: boolean): { update: ProgressCallback; finish: () => void } {
  if (!enabled || !process.stderr.isTTY) return { update: () => undefined, finish: () => undefined };
  const started = Date.now();
  let last = 0;
  const width = 28;
  const draw = (done: number, total: number) => {
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(frac * width);
    const secs = (Date.now() - started) / 1000;
    const rate = secs > 0 ? `${(done / 1e6 / secs).toFixed(0)} MB/s` : '';
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${formatBytes(done)}/${formatBytes(total)} ${rate}   `);
  };
  return {
    update: (done, total) => {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      draw(done, total);
    },
    finish: () => {
      if (last > 0) process.stderr.write('\r\x1b[K');
    },
  };
}
