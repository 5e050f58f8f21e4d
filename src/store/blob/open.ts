import { join } from 'node:path';
import type { ResolvedConfig } from '../../core/config.js';
import type { BlobStore } from './blob-store.js';
import { parseBucketPrefix } from './cas-key.js';
import { FsBlobStore } from './fs-blob-store.js';

/**
 * Builds the configured blob store; `cas://<bucket>/<prefix>` names the bucket on both backends.
 * The S3 SDK is imported only when S3 is configured: loading it costs every CLI command ~170 ms.
 */
export async function openBlobStore(config: ResolvedConfig): Promise<BlobStore> {
  const { bucket, prefix } = parseBucketPrefix(config.Signals.CAS.BucketPrefix);
  const blob = config.Storage.Blob;
  if (blob.Backend === 's3') {
    const { S3BlobStore } = await import('./s3-blob-store.js');
    return new S3BlobStore({
      bucket,
      prefix,
      region: blob.S3.Region,
      forcePathStyle: blob.S3.ForcePathStyle,
      ...(blob.S3.Endpoint === null ? {} : { endpoint: blob.S3.Endpoint }),
    });
  }
  return new FsBlobStore(blob.Root ?? join(config.dataDir, 'cas'), bucket, prefix);
}
