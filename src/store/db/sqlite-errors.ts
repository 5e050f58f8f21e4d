/**
 * SQLite's own error texts hide the cause people can act on: a full disk is
 * SQLITE_FULL or SQLITE_IOERR_*, a read-only directory is SQLITE_CANTOPEN
 * ("unable to open database file"). This turns them into E_NO_SPACE or E_IO
 * naming the file and the cause, asking the file system when SQLite cannot say.
 */
import { accessSync, constants, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { AttestryError, ioError, isAttestryError } from '../../core/errors.js';

function sqliteCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/**
 * Why `dir` cannot take a write, as an errno-carrying error, or undefined when
 * it looks writable. Free space counts blocks available to this user.
 */
export function directoryWriteProblem(dir: string): NodeJS.ErrnoException | undefined {
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
  try {
    const fs = statfsSync(dir);
    if (fs.bavail === 0) return Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
  } catch {
    // statfs is advisory; the write itself will tell
  }
  return undefined;
}

/** Maps an error from better-sqlite3 (or one already mapped) for `action` on the index at `path`. */
export function sqliteError(e: unknown, action: string, path: string): AttestryError {
  if (isAttestryError(e)) return e;
  const code = sqliteCode(e);
  const text = e instanceof Error ? e.message : String(e);
  if (code === 'SQLITE_FULL') {
    return new AttestryError(
      'E_NO_SPACE',
      `cannot ${action} SQLite index ${path}: the disk is full (SQLITE_FULL); free space on that device, then retry`,
      { cause: e, details: { path, sqlite: code } },
    );
  }
  if (code !== undefined && /^SQLITE_(CANTOPEN|READONLY|IOERR|PERM)/.test(code)) {
    const problem = path === ':memory:' ? undefined : directoryWriteProblem(dirname(path));
    if (problem !== undefined) return ioError(problem, `${action} SQLite index`, path);
    // Nothing wrong with the directory: an unopenable file (a directory, a broken path) is unavailable, as before.
    return new AttestryError(
      code === 'SQLITE_CANTOPEN' ? 'E_UNAVAILABLE' : 'E_IO',
      `cannot ${action} SQLite index ${path}: ${text} (${code})`,
      { cause: e, details: { path, sqlite: code } },
    );
  }
  return new AttestryError('E_INTERNAL', `cannot ${action} SQLite index ${path}: ${text}${code === undefined ? '' : ` (${code})`}`, {
    cause: e,
    details: { path },
  });
}
