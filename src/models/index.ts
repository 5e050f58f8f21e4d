export {
  signModel,
  defaultSignaturePath,
  DEFAULT_SIGNATURE_NAME,
  type SignModelOptions,
  type SignModelResult,
  type HashingOptions,
} from './sign.js';
export { verifyModelSignature, type KeySignatureOptions } from './verify-key.js';
export { verifyModel, type VerifyModelOptions, type VerifyModelResult, type FileProblem, type FileProblemKind } from './verify.js';
export { inspectSignature, modelDigest, type SignatureInspection, type ModelDigestResult } from './inspect.js';
export { signDigestList, parseDigestList, type SignDigestListOptions, type SignDigestListResult } from './sign-digests.js';
export * from './registry.js';
export * from './oms.js';
export { HashPool, type HashJob, type HashPoolOptions } from './hash-pool.js';
export { walkModel, type ModelFile, type WalkResult } from './walk.js';
export { ignoreEntryFromCli, DEFAULT_GIT_IGNORES } from './paths.js';
export { readSignatureFile } from './signature-file.js';
export {
  verifyKeylessModelSignature,
  verifyCertificateModelSignature,
  type KeylessModelPolicy,
  type CertificateModelPolicy,
  type ForeignSignatureCheck,
} from './verify-sigstore.js';
