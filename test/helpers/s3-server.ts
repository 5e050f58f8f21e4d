/**
 * A real S3-protocol server for tests (not a test file itself): s3rver keeps
 * objects on disk in a fresh temp directory and speaks enough of the S3 REST
 * API (SigV4, ListObjectsV2, HeadBucket...) for the AWS SDK v3.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type * as NodeCrypto from 'node:crypto';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The small part of s3rver's (untyped, CommonJS) API this helper uses. */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  resetOnClose?: boolean;
}) => S3rverInstance;

const require = createRequire(import.meta.url);

// createRequire instead of `import`: s3rver ships no types, and this keeps the
// one untyped value behind the interface above instead of a global `declare module`.
const S3rver = require('s3rver') as S3rverConstructor;

/**
 * s3rver 3.7.1 mints ListObjectsV2 continuation tokens with single DES, which
 * OpenSSL 3 (Node >= 17) only has in its legacy provider, so every truncated
 * listing fails with InternalError. 3DES-EDE with K1 = K2 = K3 is
 * mathematically single DES and is in the default provider, so for exactly
 * the `des` algorithm with an 8-byte key we substitute it. Test-only; every
 * other cipher call passes through untouched.
 */
function shimSingleDes(): void {
  const crypto = require('node:crypto') as typeof NodeCrypto & { __attestryDesShim?: true };
  if (crypto.__attestryDesShim) return;
  const widen = (algorithm: string, key: unknown): [string, unknown] =>
    algorithm.toLowerCase() === 'des' && Buffer.isBuffer(key) && key.length === 8
      ? ['des-ede3-cbc', Buffer.concat([key, key, key])]
      : [algorithm, key];
  const { createCipheriv, createDecipheriv } = crypto;
  const cipher = (algorithm: string, key: unknown, ...rest: unknown[]): unknown =>
    (createCipheriv as (...a: unknown[]) => unknown)(...widen(algorithm, key), ...rest);
  const decipher = (algorithm: string, key: unknown, ...rest: unknown[]): unknown =>
    (createDecipheriv as (...a: unknown[]) => unknown)(...widen(algorithm, key), ...rest);
  crypto.createCipheriv = cipher as typeof createCipheriv;
  crypto.createDecipheriv = decipher as typeof createDecipheriv;
  crypto.__attestryDesShim = true;
}
shimSingleDes();

export interface TestS3Server {
  readonly endpoint: string;
  readonly accessKeyId: 'S3RVER';
  readonly secretAccessKey: 'S3RVER';
  readonly region: 'us-east-1';
  stop(): Promise<void>;
}

export async function startS3Server(): Promise<TestS3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'attestry-s3rver-'));
  // s3rver's account/keys are fixed: S3RVER / S3RVER. Port 0 lets the OS pick a free port.
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (e) {
    await rm(directory, { recursive: true, force: true });
    throw e;
  }
  let stopped = false;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    region: 'us-east-1',
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await server.close();
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    },
  };
}
