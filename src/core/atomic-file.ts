import { closeSync, existsSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { ioError } from './errors.js';

/**
 * Writes a file so that after return the new content survives a crash, and a
 * crash at any earlier point leaves the old content: write to a temp file in
 * the same directory, fsync it, rename over the target, fsync the directory.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', mode);
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
    fsyncDir(dir);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // the temp file may not exist; nothing to clean up
    }
    throw ioError(e, 'write', path);
  }
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function ensureDir(dir: string, mode = 0o755): void {
  try {
    mkdirSync(dir, { recursive: true, mode });
  } catch (e) {
    const cause = realMkdirError(dir, e, mode);
    if (cause !== undefined) throw ioError(cause, 'create directory', dir);
  }
}

/**
 * Node's recursive mkdir reports ENOENT when an ancestor cannot be created
 * for another reason (EROFS, EACCES): retry the first missing level alone to
 * learn the real cause, so a read-only disk is not called "no such file".
 */
function realMkdirError(dir: string, e: unknown, mode: number): unknown {
  // undefined: the retry created it after all (another process raced us).
  if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return e;
  let missing = dir;
  while (dirname(missing) !== missing && !existsSync(dirname(missing))) missing = dirname(missing);
  try {
    mkdirSync(missing, { mode });
  } catch (inner) {
    return inner;
  }
  try {
    mkdirSync(dir, { recursive: true, mode });
    return undefined;
  } catch (again) {
    return again;
  }
}
