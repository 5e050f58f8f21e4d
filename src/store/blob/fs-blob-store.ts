import { createHash, randomBytes } from 'node:crypto';
import {
  close,
  closeSync,
  createReadStream,
  fdatasync,
  fstatSync,
  open as openCb,
  openSync,
  readFile,
  readFileSync,
  renameSync,
  write,
  writeSync,
} from 'node:fs';
import { mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { AttestryError, ioError } from '../../core/errors.js';
import type { Digest } from '../../core/digest.js';
import type { BlobInfo, BlobStore } from './blob-store.js';
import { parseStoredKey, type CasKey } from './cas-key.js';
import { DirSyncCoalescer } from './dir-sync.js';
import { checkExpected, DigestCheckingStream, integrityError, tooLarge } from './verify-stream.js';

/** Up to this size `put` writes in place; larger buffers stream through the pool. */
const SMALL_BLOB_BYTES = 1024 * 1024;

/**
 * Filesystem backend: `<root>/<bucket>/<prefix>/<key>`. Writes go to a temp
 * file in the target directory, are fsynced, renamed into place and the
 * directory is fsynced, so readers never see a partial blob and an
 * acknowledged blob survives a crash.
 */
export class FsBlobStore implements BlobStore {
  readonly backend = 'filesystem' as const;
  readonly location: string;
  readonly #base: string;
  readonly #dirSync = new DirSyncCoalescer();
  readonly #knownDirs = new Set<string>();
  readonly #tmpPrefix = `${process.pid.toString(36)}${randomBytes(4).toString('hex')}`;
  #tmpCounter = 0;

  constructor(root: string, bucket: string, prefix: string) {
    this.#base = prefix === '' ? join(root, bucket) : join(root, bucket, ...prefix.split('/'));
    this.location = this.#base;
  }

  #path(key: CasKey): string {
    return join(this.#base, ...key.split('/'));
  }

  /** Final path, its directory, and a fresh temp name beside it (same filesystem, so rename is atomic). */
  #targets(key: CasKey): { path: string; dir: string; tmp: string } {
    const path = this.#path(key);
    const dir = dirname(path);
    return { path, dir, tmp: join(dir, `.tmp-${this.#tmpPrefix}-${(++this.#tmpCounter).toString(36)}`) };
  }

  /**
   * Creates the directory chain and makes each new entry durable in its
   * parent, so the first blob of a new tenant cannot lose its directory in a
   * crash after its write was acknowledged.
   */
  async #ensureDir(dir: string): Promise<void> {
    if (this.#knownDirs.has(dir)) return;
    const first = await mkdir(dir, { recursive: true });
    if (first !== undefined) {
      for (let d = dir; ; d = dirname(d)) {
        await this.#dirSync.sync(dirname(d));
        if (d === first || dirname(d) === d) break;
      }
    }
    this.#knownDirs.add(dir);
  }

  /**
   * Whole small buffers (evidence envelopes): open, write, close and rename
   * are page-cache operations of a few microseconds, cheaper done in place
   * than handed to the thread pool and back; only the flushes, which wait
   * for the device, go to the pool.
   */
  async put(key: CasKey, data: Uint8Array, expected?: Digest): Promise<BlobInfo> {
    if (data.length > SMALL_BLOB_BYTES) return this.putStream(key, [data], expected);
    const hex = createHash('sha256').update(data).digest('hex');
    checkExpected(key, expected, hex);
    const { path, dir, tmp } = this.#targets(key);
    let fd: number | undefined;
    try {
      await this.#ensureDir(dir);
      fd = openSync(tmp, 'wx', 0o644);
      let offset = 0;
      while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
      await fdatasyncAsync(fd);
      closeSync(fd);
      fd = undefined;
      renameSync(tmp, path);
      await this.#dirSync.sync(dir);
      return { key, digest: `sha256:${hex}`, size: data.length };
    } catch (e) {
      if (fd !== undefined) closeSync(fd);
      await unlink(tmp).catch(() => undefined);
      throw ioError(e, 'write blob', key);
    }
  }

  async putStream(
    key: CasKey,
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    expected?: Digest,
    maxBytes?: number,
  ): Promise<BlobInfo> {
    const { path, dir, tmp } = this.#targets(key);
    // Plain fd calls: on the write path, FileHandle's promise machinery costs
    // more main-thread time than the small writes themselves.
    let fd: number | undefined;
    try {
      await this.#ensureDir(dir);
      fd = await openAsync(tmp, 'wx', 0o644);
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of source) {
        size += chunk.length;
        if (maxBytes !== undefined && size > maxBytes) throw tooLarge(`blob ${key}`, maxBytes);
        hash.update(chunk);
        await writeAll(fd, chunk);
      }
      const hex = hash.digest('hex');
      checkExpected(key, expected, hex);
      // fdatasync flushes the bytes and the size; the name is made durable by
      // the directory fsync after the rename.
      await fdatasyncAsync(fd);
      await closeAsync(fd);
      fd = undefined;
      await rename(tmp, path);
      await this.#dirSync.sync(dir);
      return { key, digest: `sha256:${hex}`, size };
    } catch (e) {
      if (fd !== undefined) await closeAsync(fd).catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      if (e instanceof AttestryError) throw e;
      throw ioError(e, 'write blob', key);
    }
  }

  /**
   * Small blobs are read in place (page-cache reads of a few microseconds);
   * larger ones through the thread pool so a big read never stalls the loop.
   */
  async get(key: CasKey, expected: Digest, maxBytes?: number): Promise<Buffer> {
    const path = this.#path(key);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw notFoundOr(e, key);
    }
    let data: Buffer;
    try {
      const { size } = fstatSync(fd);
      if (maxBytes !== undefined && size > maxBytes) throw tooLarge(`blob ${key}`, maxBytes);
      data = size <= SMALL_BLOB_BYTES ? readFileSync(fd) : await readFileAsync(fd);
    } catch (e) {
      if (e instanceof AttestryError) throw e;
      throw ioError(e, 'read blob', key);
    } finally {
      closeSync(fd);
    }
    const hex = createHash('sha256').update(data).digest('hex');
    if (`sha256:${hex}` !== expected) throw integrityError(key, expected, hex);
    return data;
  }

  async getStream(key: CasKey, expected: Digest): Promise<Readable> {
    const path = this.#path(key);
    try {
      await stat(path);
    } catch (e) {
      throw notFoundOr(e, key);
    }
    return createReadStream(path).pipe(new DigestCheckingStream(key, expected));
  }

  async head(key: CasKey): Promise<{ size: number } | undefined> {
    try {
      const s = await stat(this.#path(key));
      return { size: s.size };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw ioError(e, 'stat blob', key);
    }
  }

  async delete(key: CasKey): Promise<void> {
    const path = this.#path(key);
    try {
      await unlink(path);
      await this.#dirSync.sync(dirname(path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(e, 'delete blob', key);
    }
  }

  async *list(prefix: string): AsyncIterable<CasKey> {
    const start = prefix.replace(/\/+$/, '');
    const stack = [start];
    while (stack.length > 0) {
      const rel = stack.pop() as string;
      let entries;
      try {
        entries = await readdir(join(this.#base, ...rel.split('/').filter(Boolean)), { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw ioError(e, 'list blobs under', rel);
      }
      entries.sort((a, b) => (a.name < b.name ? 1 : -1));
      for (const entry of entries) {
        if (entry.name.startsWith('.tmp-')) continue;
        const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
        if (entry.isDirectory()) stack.push(child);
        else if (entry.isFile()) yield parseStoredKey(child);
      }
    }
  }

  async sweepTemporary(olderThan: Date): Promise<number> {
    let removed = 0;
    const stack = [this.#base];
    while (stack.length > 0) {
      const dir = stack.pop() as string;
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw ioError(e, 'list', dir);
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) stack.push(path);
        else if (entry.isFile() && entry.name.startsWith('.tmp-') && (await stat(path)).mtimeMs < olderThan.getTime()) {
          await unlink(path).catch(() => undefined);
          removed += 1;
        }
      }
    }
    return removed;
  }

  async ping(): Promise<void> {
    try {
      await mkdir(this.#base, { recursive: true });
      await stat(this.#base);
    } catch (e) {
      throw ioError(e, 'reach blob store at', this.#base);
    }
  }

  async close(): Promise<void> {
    // nothing held open between calls
  }
}

const openAsync = promisify(openCb);
const fdatasyncAsync = promisify(fdatasync);
const readFileAsync = promisify(readFile) as (fd: number) => Promise<Buffer>;
const closeAsync = promisify(close);
const writeAsync = promisify(write);

async function writeAll(fd: number, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) offset += (await writeAsync(fd, chunk, offset, chunk.length - offset)).bytesWritten;
}

function notFoundOr(e: unknown, key: string): AttestryError {
  if ((e as NodeJS.ErrnoException).code === 'ENOENT')
    return new AttestryError('E_NOT_FOUND', `blob ${key} not found`, { details: { key } });
  return ioError(e, 'read blob', key);
}
