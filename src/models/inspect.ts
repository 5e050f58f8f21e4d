/** `inspect`: show what a signature claims, without verifying it. */
import { resolve } from 'node:path';
import { AttestryError } from '../core/errors.js';
import { readSignatureFile, unverifiedStatement } from './signature-file.js';
import { parseOmsStatement, rootDigestHex, type ModelMetadata, type OmsPredicate } from './oms.js';
import { digestFromHex, type Digest } from '../core/digest.js';
import { HashPool } from './hash-pool.js';
import { hashModel } from './manifest.js';
import { ignoreSetFor, serializationFor, defaultSignaturePath, type HashingOptions } from './sign.js';
import { assertNoRejected, walkModel } from './walk.js';

export interface SignatureInspection {
  mediaType: string;
  payloadType: string;
  predicateType: string;
  signatures: number;
  keyHint?: string;
  keyDetails?: string;
  method: 'key' | 'certificate' | 'sigstore';
  subjectName: string;
  /** The root digest the subject claims (`sha256:<hex>`), as written. */
  rootDigest: string;
  /** False when the subject digest does not match the resources: the file was edited. */
  consistent: boolean;
  metadata: ModelMetadata;
  serialization: OmsPredicate['serialization'];
  resources: OmsPredicate['resources'];
  tlogEntries: number;
}

export function inspectSignature(signaturePath: string): SignatureInspection {
  const bundle = readSignatureFile(resolve(signaturePath));
  const statement = unverifiedStatement(bundle);
  const parsed = parseOmsStatement(statement, { allowInconsistent: true });
  const vm = bundle.verificationMaterial;
  const inspection: SignatureInspection = {
    mediaType: bundle.mediaType,
    payloadType: bundle.dsseEnvelope.payloadType,
    predicateType: statement.predicateType,
    signatures: bundle.dsseEnvelope.signatures.length,
    method: vm.publicKey ? 'key' : vm.x509CertificateChain ? 'certificate' : 'sigstore',
    subjectName: parsed.subjectName,
    rootDigest: `sha256:${statement.subject[0]?.digest['sha256'] ?? ''}`,
    consistent: parsed.consistent,
    metadata: parsed.metadata,
    serialization: parsed.predicate.serialization,
    resources: parsed.predicate.resources,
    tlogEntries: vm.tlogEntries?.length ?? 0,
  };
  if (vm.publicKey?.hint) inspection.keyHint = vm.publicKey.hint;
  if (vm.publicKey?.keyDetails) inspection.keyDetails = vm.publicKey.keyDetails;
  return inspection;
}

export interface ModelDigestResult {
  rootDigest: Digest;
  modelName: string;
  resources: number;
  bytes: number;
}

/** The root digest a signature of this model would carry, without signing. */
export async function modelDigest(modelPath: string, options: HashingOptions = {}): Promise<ModelDigestResult> {
  const abs = resolve(modelPath);
  const ignore = ignoreSetFor(abs, defaultSignaturePath(abs), options);
  const walked = walkModel(abs, { ignore: new Set(ignore), allowSymlinks: options.allowSymlinks ?? false });
  assertNoRejected(walked);
  if (walked.files.length === 0) throw new AttestryError('E_EMPTY_MODEL', `${abs} contains no files`);
  const serialization = serializationFor(options, []);
  const pool = options.pool ?? new HashPool(options.threads === undefined ? {} : { threads: options.threads });
  try {
    const total = walked.files.reduce((n, f) => n + f.size, 0);
    const onProgress = options.onProgress;
    const hashed = await hashModel(walked.files, {
      pool,
      serialization,
      ...(onProgress ? { onProgress: (d: number) => onProgress(d, total) } : {}),
    });
    return {
      rootDigest: digestFromHex(rootDigestHex(hashed.resources)),
      modelName: walked.modelName,
      resources: hashed.resources.length,
      bytes: hashed.bytesTotal,
    };
  } finally {
    if (options.pool === undefined) await pool.close();
  }
}
