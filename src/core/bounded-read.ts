import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { AttestryError, ioError } from './errors.js';

/**
 * Reads a text file of at most `limit` bytes. Pipes (e.g. /dev/stdin) report
 * size 0, so the limit is also enforced while reading: a hostile input can
 * never make us buffer more than `limit`.
 */
export function readTextFileBounded(path: string, limit: number, what: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw ioError(e, `read ${what}`, path);
  }
  try {
    const st = fstatSync(fd);
    if (st.isFile() && st.size > limit) {
      throw new AttestryError('E_INVALID_INPUT', `${what} ${path} is ${st.size} bytes, over the ${limit}-byte limit`);
    }
    // Pipes (e.g. /dev/stdin) report size 0, so read until EOF and enforce the limit as we go.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(st.isFile() ? Math.max(1, st.size - total + 1) : 1 << 20);
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        throw ioError(e, `read ${what}`, path);
      }
      if (n === 0) break;
      total += n;
      if (total > limit) throw new AttestryError('E_INVALID_INPUT', `${what} ${path} is over the ${limit}-byte limit`);
      chunks.push(buf.subarray(0, n));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
