/**
 * Deterministic enumeration of a model's files (OMS v1.0 §6.1): regular files
 * only, sorted, ignore rules applied, symlinks refused unless allowed and then
 * followed only while they stay inside the model root.
 */
import { lstatSync, readdirSync, realpathSync, statSync, type BigIntStats } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { AttestryError, ioError, type ErrorCode } from '../core/errors.js';
import { comparePaths, isIgnored } from './paths.js';

export interface ModelFile {
  /** Model-relative POSIX path: the resource name. */
  name: string;
  /** Where to read the bytes (the symlink target when a link was followed). */
  path: string;
  size: number;
  mtimeNs: bigint;
}

export interface RejectedPath {
  name: string;
  code: ErrorCode;
  reason: string;
}

export interface WalkOptions {
  /** Model-relative paths to leave out, including the signature file. */
  ignore: ReadonlySet<string>;
  allowSymlinks: boolean;
}

export interface WalkResult {
  /** The name model_signing records as subject: the directory's (or file's) basename. */
  modelName: string;
  singleFile: boolean;
  files: ModelFile[];
  /** Paths that break the rules (symlinks, escapes, special files). */
  rejected: RejectedPath[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function walkModel(modelPath: string, options: WalkOptions): WalkResult {
  let rootStat: BigIntStats;
  let realRoot: string;
  try {
    rootStat = statSync(modelPath, { bigint: true });
    realRoot = realpathSync(modelPath);
  } catch (e) {
    throw ioError(e, 'read model', modelPath);
  }
  const modelName = basename(realRoot);
  if (rootStat.isFile()) {
    return { modelName, singleFile: true, files: [toModelFile(modelName, realRoot, rootStat)], rejected: [] };
  }
  if (!rootStat.isDirectory()) {
    throw new AttestryError('E_SPECIAL_FILE', `${modelPath} is neither a file nor a directory`);
  }
  const files: ModelFile[] = [];
  const rejected: RejectedPath[] = [];
  walkDir({ realRoot, options, files, rejected, ancestors: new Set([realRoot]) }, realRoot, '');
  files.sort((a, b) => comparePaths(a.name, b.name));
  return { modelName, singleFile: false, files, rejected };
}

/** What one walk accumulates; directories on the current path detect symlink cycles. */
interface WalkState {
  realRoot: string;
  options: WalkOptions;
  files: ModelFile[];
  rejected: RejectedPath[];
  ancestors: Set<string>;
}

function walkDir(state: WalkState, dir: string, prefix: string): void {
  const { options, files, rejected } = state;
  let entries: Buffer[];
  try {
    entries = readdirSync(dir, { encoding: 'buffer' });
  } catch (e) {
    throw ioError(e, 'list directory', dir);
  }
  entries.sort((a, b) => Buffer.compare(a, b));
  for (const raw of entries) {
    let entryName: string;
    try {
      entryName = utf8.decode(raw);
    } catch {
      // OMS §6.1.2 (7): a name that is not UTF-8 cannot be written into JSON losslessly.
      rejected.push({ name: `${prefix}${raw.toString('latin1')}`, code: 'E_INVALID_INPUT', reason: 'file name is not valid UTF-8' });
      continue;
    }
    const name = `${prefix}${entryName}`;
    if (isIgnored(name, options.ignore)) continue;
    const full = join(dir, entryName);
    let st: BigIntStats;
    try {
      st = lstatSync(full, { bigint: true });
    } catch (e) {
      throw ioError(e, 'stat', full);
    }
    if (st.isSymbolicLink()) {
      followLink(state, full, name);
    } else if (st.isDirectory()) {
      walkDir(state, full, `${name}/`);
    } else if (st.isFile()) {
      files.push(toModelFile(name, full, st));
    } else {
      rejected.push({ name, code: 'E_SPECIAL_FILE', reason: 'not a regular file, directory or symlink (device, socket or FIFO)' });
    }
  }
}

function followLink(state: WalkState, full: string, name: string): void {
  const { realRoot, options, files, rejected, ancestors } = state;
  if (!options.allowSymlinks) {
    rejected.push({ name, code: 'E_SYMLINK', reason: 'is a symbolic link; symlinks are refused unless --allow-symlinks is given' });
    return;
  }
  let target: string;
  try {
    target = realpathSync(full);
  } catch {
    rejected.push({ name, code: 'E_SYMLINK', reason: 'is a broken symbolic link' });
    return;
  }
  const rel = relative(realRoot, target);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || rel.startsWith(sep)) {
    rejected.push({ name, code: 'E_PATH_ESCAPE', reason: `is a symbolic link to ${target}, outside the model directory` });
    return;
  }
  const st = statSync(target, { bigint: true });
  if (st.isDirectory()) {
    if (ancestors.has(target)) {
      rejected.push({ name, code: 'E_SYMLINK', reason: 'is a symbolic link that forms a cycle' });
      return;
    }
    ancestors.add(target);
    walkDir(state, target, `${name}/`);
    ancestors.delete(target);
  } else if (st.isFile()) {
    files.push(toModelFile(name, target, st));
  } else {
    rejected.push({ name, code: 'E_SPECIAL_FILE', reason: 'symbolic link to a special file' });
  }
}

function toModelFile(name: string, path: string, st: BigIntStats): ModelFile {
  return { name, path, size: Number(st.size), mtimeNs: st.mtimeNs };
}

/** Throws the first rejected path as an error, for signing, which must not proceed. */
export function assertNoRejected(result: WalkResult): void {
  const first = result.rejected[0];
  if (first) {
    const more = result.rejected.length > 1 ? ` (and ${result.rejected.length - 1} more)` : '';
    throw new AttestryError(first.code, `${first.name} ${first.reason}${more}`, { details: { rejected: result.rejected } });
  }
}
