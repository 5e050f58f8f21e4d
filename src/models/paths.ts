/**
 * Path rules of OMS v1.0 §6.1.2 and §6.2: POSIX separators, relative to the
 * model root, normalised, no parent traversal; ignore entries match exact
 * relative paths and everything below them.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { AttestryError } from '../core/errors.js';

/** Files model_signing leaves out by default; matched at the model root only. */
export const DEFAULT_GIT_IGNORES = ['.git', '.gitattributes', '.github', '.gitignore'] as const;

/** Normalises a model-relative POSIX path; throws for absolute paths and `..`. */
export function normaliseRelativePath(input: string, what = 'path'): string {
  if (input.length === 0) throw new AttestryError('E_INVALID_INPUT', `${what}: empty path`);
  if (input.includes('\0')) throw new AttestryError('E_INVALID_INPUT', `${what}: path contains a NUL byte`);
  const posix = input.replace(/\\/g, '/');
  if (posix.startsWith('/')) {
    throw new AttestryError('E_PATH_ESCAPE', `${what}: "${input}" is absolute; paths must be relative to the model root`);
  }
  const parts = posix.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) {
    throw new AttestryError('E_PATH_ESCAPE', `${what}: "${input}" leaves the model directory`);
  }
  if (parts.length === 0) throw new AttestryError('E_INVALID_INPUT', `${what}: "${input}" names the model root itself`);
  return parts.join('/');
}

/**
 * Turns a user's --ignore-paths entry into a model-relative path. Like
 * model_signing, a path that resolves (from the working directory) to a place
 * inside the model is taken as that place; anything else is read as relative
 * to the model root.
 */
export function ignoreEntryFromCli(entry: string, modelRoot: string, cwd = process.cwd()): string {
  const absolute = isAbsolute(entry) ? entry : resolve(cwd, entry);
  const rel = relative(resolve(modelRoot), absolute);
  const outside = rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
  if (rel !== '' && !outside) return normaliseRelativePath(rel.split(sep).join('/'), 'ignore path');
  if (isAbsolute(entry)) {
    throw new AttestryError('E_PATH_ESCAPE', `ignore path "${entry}" is outside the model directory`);
  }
  return normaliseRelativePath(entry, 'ignore path');
}

export function isIgnored(name: string, ignores: ReadonlySet<string>): boolean {
  if (ignores.has(name)) return true;
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    if (ignores.has(name.slice(0, i))) return true;
  }
  return false;
}

/**
 * Orders paths component by component, comparing code points (via UTF-8
 * bytes). This is the order model_signing's PurePosixPath sort produces and
 * matches a depth-first walk; it differs from whole-string order only when a
 * name sorts below "/" (e.g. "a/b" before "a.b").
 */
export function comparePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const c = Buffer.compare(Buffer.from(pa[i]!, 'utf8'), Buffer.from(pb[i]!, 'utf8'));
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}
