import { createHash } from 'node:crypto';
import { pipeline, type Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { AttestryError } from '../../core/errors.js';
import type { Digest } from '../../core/digest.js';
import type { BlobInfo, BlobStore } from './blob-store.js';
import { parseStoredKey, type CasKey } from './cas-key.js';
import { checkExpected, DigestCheckingStream, integrityError, tooLarge } from './verify-stream.js';

export interface S3BlobStoreOptions {
  bucket: string;
  prefix: string;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Page size for ListObjectsV2 (S3's default is 1000); lowered by tests to exercise pagination. */
  listPageSize?: number;
}

/** `putStream` buffers the whole body before uploading, so an unbounded caller still gets a cap. */
export const DEFAULT_PUT_STREAM_MAX_BYTES = 64 * 1024 * 1024;

function makeClient(opts: S3BlobStoreOptions): S3Client {
  const config: S3ClientConfig = {
    // A region is mandatory for signing; S3-compatible servers ignore its value.
    region: opts.region ?? (opts.endpoint !== undefined ? 'us-east-1' : undefined),
    forcePathStyle: opts.forcePathStyle ?? opts.endpoint !== undefined,
  };
  if (opts.endpoint !== undefined) {
    config.endpoint = opts.endpoint;
    // SDK >= 3.729 adds CRC32 checksum headers (and aws-chunked trailers for
    // streamed bodies) to uploads by default, which several S3-compatible
    // servers reject or ignore. We verify sha256 ourselves, so only send
    // checksums when an operation requires them.
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  // Without explicit keys the SDK's default chain (env, profile, IMDS...) applies.
  if (opts.accessKeyId !== undefined && opts.secretAccessKey !== undefined) {
    config.credentials = { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey };
  }
  return new S3Client(config);
}

/** Endpoint for messages, with any userinfo stripped so credentials never reach logs. */
function describeEndpoint(opts: S3BlobStoreOptions): string {
  if (opts.endpoint === undefined) return `AWS S3${opts.region ? ` (${opts.region})` : ''}`;
  try {
    const u = new URL(opts.endpoint);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '<invalid endpoint>';
  }
}

interface SdkError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

function errorName(e: unknown): string {
  const err = (e ?? {}) as SdkError;
  const name = err.name ?? 'Error';
  // Network failures surface as a plain Error whose `code` (ECONNREFUSED...) is the useful part.
  return err.code !== undefined && err.code !== name ? `${name} (${err.code})` : name;
}

function isNotFound(e: unknown): boolean {
  const err = (e ?? {}) as SdkError;
  if (err.name === 'NoSuchKey' || err.name === 'NotFound') return true;
  // A missing bucket is a misconfiguration, not an absent blob.
  return err.$metadata?.httpStatusCode === 404 && err.name !== 'NoSuchBucket';
}

export class S3BlobStore implements BlobStore {
  readonly backend = 's3' as const;
  readonly location: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #pageSize: number | undefined;

  constructor(opts: S3BlobStoreOptions) {
    this.#client = makeClient(opts);
    this.#bucket = opts.bucket;
    this.#prefix = opts.prefix.replace(/^\/+|\/+$/g, '');
    this.#pageSize = opts.listPageSize;
    this.location = `s3://${opts.bucket}${this.#prefix ? `/${this.#prefix}` : ''} at ${describeEndpoint(opts)}`;
  }

  #objectKey(key: CasKey): string {
    return this.#prefix ? `${this.#prefix}/${key}` : key;
  }

  #fail(e: unknown, action: string, key: string): AttestryError {
    if (e instanceof AttestryError) return e;
    const name = errorName(e);
    return new AttestryError('E_IO', `cannot ${action} ${key} in ${this.location}: ${name}`, {
      cause: e,
      details: { key, sdkError: name },
    });
  }

  async put(key: CasKey, data: Uint8Array, expected?: Digest): Promise<BlobInfo> {
    // Check before uploading: a mismatching body must never become visible, even briefly.
    const hex = createHash('sha256').update(data).digest('hex');
    checkExpected(key, expected, hex);
    try {
      const target = { Bucket: this.#bucket, Key: this.#objectKey(key), ContentType: 'application/octet-stream' };
      await this.#client.send(new PutObjectCommand({ ...target, Body: data, ContentLength: data.length, Metadata: { sha256: hex } }));
    } catch (e) {
      throw this.#fail(e, 'write blob', key);
    }
    return { key, digest: `sha256:${hex}`, size: data.length };
  }

  async putStream(key: CasKey, source: AsyncIterable<Uint8Array>, expected?: Digest, maxBytes?: number): Promise<BlobInfo> {
    // Simple and correct: buffer (bounded) then a single PUT, so the digest is
    // checked before anything is sent. Multipart upload for large bodies is a
    // later improvement.
    const limit = maxBytes ?? DEFAULT_PUT_STREAM_MAX_BYTES;
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of source) {
        size += chunk.length;
        if (size > limit) throw tooLarge(`blob ${key}`, limit);
        chunks.push(chunk);
      }
    } catch (e) {
      throw this.#fail(e, 'read upload body for', key);
    }
    return this.put(key, Buffer.concat(chunks, size), expected);
  }

  async #getObject(key: CasKey): Promise<{ body: Readable; length: number | undefined }> {
    try {
      const res = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key) }));
      if (res.Body === undefined) throw new Error('empty response body');
      // In Node the SDK's body is an http.IncomingMessage (a Readable).
      return { body: res.Body as Readable, length: res.ContentLength };
    } catch (e) {
      if (isNotFound(e)) throw new AttestryError('E_NOT_FOUND', `blob ${key} not found`, { details: { key } });
      throw this.#fail(e, 'read blob', key);
    }
  }

  async get(key: CasKey, expected: Digest, maxBytes?: number): Promise<Buffer> {
    const { body, length } = await this.#getObject(key);
    if (maxBytes !== undefined && length !== undefined && length > maxBytes) {
      body.destroy();
      throw tooLarge(`blob ${key}`, maxBytes);
    }
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        size += chunk.length;
        // Also counted while reading, in case the server omitted or lied about Content-Length.
        if (maxBytes !== undefined && size > maxBytes) throw tooLarge(`blob ${key}`, maxBytes);
        hash.update(chunk);
        chunks.push(chunk);
      }
    } catch (e) {
      body.destroy();
      throw this.#fail(e, 'read blob', key);
    }
    const hex = hash.digest('hex');
    if (`sha256:${hex}` !== expected) throw integrityError(key, expected, hex);
    return Buffer.concat(chunks, size);
  }

  async getStream(key: CasKey, expected: Digest): Promise<Readable> {
    const { body } = await this.#getObject(key);
    const checker = new DigestCheckingStream(key, expected);
    // pipeline (unlike .pipe) forwards a network error from the body to the consumer.
    pipeline(body, checker, () => undefined);
    return checker;
  }

  async head(key: CasKey): Promise<{ size: number } | undefined> {
    try {
      const res = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key) }));
      return { size: res.ContentLength ?? 0 };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw this.#fail(e, 'stat blob', key);
    }
  }

  async delete(key: CasKey): Promise<void> {
    try {
      // S3 DeleteObject succeeds on absent keys, which gives idempotency for free.
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key) }));
    } catch (e) {
      if (!isNotFound(e)) throw this.#fail(e, 'delete blob', key);
    }
  }

  async *list(prefix: string): AsyncIterable<CasKey> {
    // Same semantics as the filesystem backend: `prefix` names a directory, so
    // "callgraphs/acme" must not also match "callgraphs/acme2/...".
    const dir = prefix.replace(/^\/+|\/+$/g, '');
    const storeRoot = this.#prefix ? `${this.#prefix}/` : '';
    const listPrefix = storeRoot + (dir ? `${dir}/` : '');
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.#client.send(
          new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: listPrefix, ContinuationToken: token, MaxKeys: this.#pageSize }),
        );
      } catch (e) {
        throw this.#fail(e, 'list blobs under', dir || '/');
      }
      for (const obj of page.Contents ?? []) {
        if (obj.Key !== undefined) yield parseStoredKey(obj.Key.slice(storeRoot.length));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      // Returning here would silently hide the rest of the listing.
      if (page.IsTruncated && !token) {
        throw new AttestryError(
          'E_IO',
          `cannot list blobs under ${dir || '/'} in ${this.location}: truncated page without a continuation token`,
        );
      }
    } while (token !== undefined);
  }

  async ping(): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
    } catch (e) {
      const message = `blob store ${this.location} is unavailable: ${errorName(e)}`;
      throw new AttestryError('E_UNAVAILABLE', message, { cause: e, details: { location: this.location } });
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }
}

/** Creates the bucket when it does not exist yet (first start, tests). */
export async function ensureBucket(opts: S3BlobStoreOptions): Promise<void> {
  const client = makeClient(opts);
  try {
    try {
      await client.send(new HeadBucketCommand({ Bucket: opts.bucket }));
      return;
    } catch (e) {
      if ((e as SdkError).$metadata?.httpStatusCode !== 404) throw e;
    }
    try {
      await client.send(new CreateBucketCommand({ Bucket: opts.bucket }));
    } catch (e) {
      // Lost a race with another process creating it: that is the outcome we wanted.
      if ((e as SdkError).name !== 'BucketAlreadyOwnedByYou') throw e;
    }
  } catch (e) {
    throw new AttestryError('E_IO', `cannot create bucket ${opts.bucket} at ${describeEndpoint(opts)}: ${errorName(e)}`, { cause: e });
  } finally {
    client.destroy();
  }
}
