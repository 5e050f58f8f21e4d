/** Sigstore interop: offline verification of any Sigstore bundle, trusted roots, signer policies. */
export { KEY_ONLY_FLAG, verifySigstoreBundle, type VerifyBundleOptions, type BundleVerification } from './verify.js';
export {
  parseSigstoreBundle,
  parseSigstoreBundleText,
  readSigstoreBundleFile,
  readLenientBundleFile,
  MAX_BUNDLE_BYTES,
  type ParsedSigstoreBundle,
  type LenientBundle,
  type BundleVersion,
} from './bundle.js';
export { checkIdentity, identityRegexpPolicy, type SignerPolicy, type CertificateIdentity } from './policy.js';
export { checkSubject, summarizeStatement, type BundleArtifact, type StatementSummary } from './subject.js';
export { SIGSTORE_CHECKS, type SigstoreCheck } from './failures.js';
export {
  publicGoodTrustRoot,
  loadTrustRootFile,
  trustRootFromJson,
  PUBLIC_GOOD_TUF_URL,
  MAX_TRUSTED_ROOT_BYTES,
  type SigstoreTrustRoot,
} from './trust-root.js';
export { certificatesFromPem, verifyChainToAnchors, type ChainVerification } from './chain.js';
export { refreshTrustRoot, refreshedTrustRootPath, type RefreshTrustRootOptions, type RefreshTrustRootResult } from './tuf.js';
