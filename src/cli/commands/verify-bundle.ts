/**
 * `attestry verify-bundle`: verifies any Sigstore bundle (cosign, npm/PyPI
 * provenance, GitHub attestations, sigstore-python, model_signing keyless)
 * offline. Exit 0 verified, 2 a check failed (named), 1 usage or load error.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { AttestryError, ioError } from '../../core/errors.js';
import {
  identityRegexpPolicy,
  KEY_ONLY_FLAG,
  readSigstoreBundleFile,
  verifySigstoreBundle,
  type BundleArtifact,
  type BundleVerification,
  type SignerPolicy,
} from '../../sigstore/index.js';
import { publicKeyFromFile } from '../files.js';
import { emit, safeText as s } from '../output.js';
import { run } from '../run.js';
import { issuerFlag } from './model-verify-method.js';
import { resolveTrustRoot } from './trust.js';

interface VerifyBundleFlags {
  bundle: string;
  artifact?: string;
  digest?: string;
  key?: string;
  identity?: string;
  identityRegexp?: string;
  issuer?: string;
  identityProvider?: string;
  trustedRoot?: string;
  offlineKeyOnly?: boolean;
  json?: boolean;
}

/** `sha256:<64 hex>` → the artifact as a digest. */
export function artifactFromDigest(value: string): BundleArtifact {
  const m = /^sha256:([0-9a-fA-F]{64})$/.exec(value);
  if (!m) throw new AttestryError('E_USAGE', `--digest must be sha256:<64 hex digits>, got "${value.slice(0, 80)}"`);
  return { kind: 'digest', algorithm: 'sha256', digest: Buffer.from(m[1]!, 'hex') };
}

function artifactFrom(flags: VerifyBundleFlags): BundleArtifact {
  if ((flags.artifact === undefined) === (flags.digest === undefined))
    throw new AttestryError('E_USAGE', 'give exactly one of --artifact FILE or --digest sha256:<hex>');
  if (flags.digest !== undefined) return artifactFromDigest(flags.digest);
  const path = flags.artifact!;
  try {
    return { kind: 'bytes', data: readFileSync(path) };
  } catch (e) {
    throw ioError(e, 'read artifact', path);
  }
}

/** The signer policy from the key / identity flags; exactly one way must be chosen. */
export function policyFrom(
  flags: Pick<VerifyBundleFlags, 'key' | 'identity' | 'identityRegexp' | 'issuer' | 'identityProvider'>,
): SignerPolicy {
  const issuer = issuerFlag(flags);
  const ways = [flags.key, flags.identity, flags.identityRegexp].filter((v) => v !== undefined).length;
  if (ways !== 1) throw new AttestryError('E_USAGE', 'give exactly one of --key PEM, --identity ID or --identity-regexp RE');
  if (flags.key !== undefined) {
    if (issuer !== undefined) throw new AttestryError('E_USAGE', '--issuer goes with --identity or --identity-regexp, not --key');
    return { kind: 'key', publicKey: publicKeyFromFile(flags.key) };
  }
  if (issuer === undefined)
    throw new AttestryError('E_USAGE', '--issuer URL (or --identity-provider) is required with --identity / --identity-regexp');
  if (flags.identity !== undefined) return { kind: 'identity', identity: flags.identity, issuer };
  return identityRegexpPolicy(flags.identityRegexp!, issuer);
}

function human(r: BundleVerification, trustSource: string): string {
  const lines = [`Bundle: VERIFIED (v${r.bundleVersion}, ${r.content})`];
  if (r.signer.kind === 'certificate') {
    lines.push(
      `  Identity : ${s(r.signer.identity)}`,
      `  Issuer   : ${s(r.signer.issuer)}`,
      `  Cert     : valid ${s(r.signer.notBefore)} to ${s(r.signer.notAfter)}`,
    );
  } else {
    lines.push(`  Key      : ${r.signer.keyFingerprint}${r.signer.hint ? ` (hint ${s(r.signer.hint)})` : ''}`);
  }
  for (const e of r.tlogEntries) {
    lines.push(
      `  Log entry: index ${s(e.logIndex)} (${s(e.kind)} ${s(e.version)}; ${e.inclusion.map((i) => (i === 'promise' ? 'SET' : 'inclusion proof')).join(' + ')})` +
        (e.integratedTime ? `, integrated ${s(e.integratedTime)}` : ''),
    );
  }
  for (const t of r.timestamps.filter((x) => x.source === 'rfc3161')) lines.push(`  Timestamp: RFC 3161 ${s(t.time)}`);
  if (r.statement) {
    lines.push(`  Statement: ${r.statement.predicateType ? s(r.statement.predicateType) : '(no predicate type)'}`);
    for (const x of r.statement.subjects.slice(0, 10))
      lines.push(
        `    subject ${x.name !== undefined ? s(x.name) : '(unnamed)'} ${Object.entries(x.digest)
          .map(([a, d]) => `${s(a)}:${s(d)}`)
          .join(' ')}`,
      );
  }
  lines.push(`  Trusted root: ${s(trustSource)}`);
  return lines.join('\n');
}

export function verifyBundleCommand(): Command {
  const cmd = new Command('verify-bundle')
    .description('verify a Sigstore bundle offline (keyless or key; Rekor v1/v2; RFC 3161); exit 0 verified, 2 failed, 1 usage/load error')
    .requiredOption('--bundle <file>', 'the Sigstore bundle (.sigstore.json)')
    .option('--artifact <file>', 'the signed artifact (for DSSE bundles: the in-toto subject)')
    .option('--digest <sha256:hex>', "the artifact's SHA-256 digest instead of the file")
    .option('--key <pem>', 'verify against this public key (bundles signed with a managed key)')
    .option('--identity <id>', 'keyless: the certificate identity (SAN) that must have signed, exactly')
    .option('--identity-regexp <re>', 'keyless: a regular expression the identity must match (unanchored, like cosign; use ^...$)')
    .option('--issuer <url>', 'keyless: the OIDC issuer that must have vouched for the identity, exactly')
    .option('--identity-provider <url>', 'alias of --issuer (as `model verify` and model_signing spell it)')
    .option(
      '--trusted-root <file>',
      'trusted_root.json of a private Sigstore instance or an attestry log (GET /api/v1/log/trusted-root; default: the refreshed or embedded public-good root)',
    )
    .option(
      KEY_ONLY_FLAG,
      'with --key: accept a bundle with no log entry and no timestamp (e.g. a model_signing model.sig) on its signature alone, with no proof of time',
    )
    .option('--json', 'machine-readable output');
  return cmd.action((flags: VerifyBundleFlags) =>
    run(flags, () => {
      const policy = policyFrom(flags);
      const artifact = artifactFrom(flags);
      const trustRoot = resolveTrustRoot(flags.trustedRoot);
      const bundle = readSigstoreBundleFile(flags.bundle);
      const r = verifySigstoreBundle(bundle, { policy, artifact, trustRoot, keyOnly: flags.offlineKeyOnly === true });
      const { payload: _payload, ...rest } = r;
      emit(flags, { ...rest, trustedRoot: trustRoot.source }, () => human(r, trustRoot.source));
    }),
  );
}
