/**
 * Sigstore bundle verification benchmark (`npm run bench:bundles`): bundles
 * verified per second, key-based and keyless, with the trusted root parsed
 * once, against raw `crypto.verify` in the same run: of the artifact
 * signature alone, and of every signature the bundle's verification checks
 * (artifact signature, Rekor SET, checkpoint, RFC 3161 timestamp, and for
 * keyless the Fulcio certificate; SCTs are left out of the raw side, so its
 * ratio is a conservative one). Every bundle verification parses the bundle JSON
 * and runs every check (timestamps, certificate chain and SCT, SET, inclusion
 * proof and checkpoint, log body, signature, policy).
 *
 * The bundles are real ones from sigstore-conformance (test/assets/bundle-verify),
 * read in place from ../shared/fixtures/sigstore-conformance (beside the project root).
 */
import { createHash, createPublicKey, verify as rawVerify, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { X509Certificate as NodeX509 } from 'node:crypto';
import { RFC3161Timestamp } from '@sigstore/core';
import {
  loadTrustRootFile,
  parseSigstoreBundleText,
  publicGoodTrustRoot,
  verifySigstoreBundle,
  type BundleArtifact,
  type SignerPolicy,
  type SigstoreTrustRoot,
} from '../src/index.js';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';

/** The project root (the bench runs from dist/bench/), then ../shared/fixtures beside it. */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('bench:bundles: no package.json above the bench');
    dir = up;
  }
  return dir;
}
const SUITE = resolve(projectRoot(), '..', 'shared', 'fixtures', 'sigstore-conformance', 'test', 'assets', 'bundle-verify');
if (!existsSync(SUITE)) {
  console.error(`bench:bundles needs the fixture folder ../shared/fixtures/sigstore-conformance (expected at ${SUITE})`);
  process.exit(1);
}
const show = (path: string): Buffer => readFileSync(join(SUITE, path));

function perSecond(durationMs: number, fn: () => void): number {
  for (let i = 0; i < 200; i++) fn(); // warm up
  let n = 0;
  const t = performance.now();
  while (performance.now() - t < durationMs) {
    for (let i = 0; i < 50; i++) fn();
    n += 50;
  }
  return n / ((performance.now() - t) / 1000);
}

interface Case {
  name: string;
  bundleText: string;
  policy: SignerPolicy;
  trustRoot: SigstoreTrustRoot;
  artifact: Buffer;
  signerKey: () => KeyObject;
}

const artifact = show('a.txt');
function rootOf(caseName: string): SigstoreTrustRoot {
  return loadTrustRootFile(join(SUITE, caseName, 'trusted_root.json'));
}

const managedKey = createPublicKey(show('managed-key-happy-path/key.pub'));
const cases: Case[] = [
  {
    name: 'key-based (Rekor v1: SET + inclusion proof, RFC 3161)',
    bundleText: show('managed-key-happy-path/bundle.sigstore.json').toString('utf8'),
    policy: { kind: 'key', publicKey: managedKey },
    trustRoot: publicGoodTrustRoot(),
    artifact,
    signerKey: () => managedKey,
  },
  {
    name: 'keyless (Fulcio; Rekor v1: SET + inclusion proof)',
    bundleText: show('happy-path-v0.3/bundle.sigstore.json').toString('utf8'),
    policy: { kind: 'identity', identity: IDENTITY, issuer: ISSUER },
    trustRoot: publicGoodTrustRoot(),
    artifact,
    signerKey: () => leafKey('happy-path-v0.3'),
  },
  {
    name: 'keyless (Fulcio; Rekor v2 checkpoint, RFC 3161)',
    bundleText: show('rekor2-happy-path/bundle.sigstore.json').toString('utf8'),
    policy: { kind: 'identity', identity: IDENTITY, issuer: ISSUER },
    trustRoot: rootOf('rekor2-happy-path'),
    artifact,
    signerKey: () => leafKey('rekor2-happy-path'),
  },
];

function leafKey(caseName: string): KeyObject {
  const b = JSON.parse(show(`${caseName}/bundle.sigstore.json`).toString('utf8')) as {
    verificationMaterial: { certificate?: { rawBytes: string } };
  };
  const der = Buffer.from(b.verificationMaterial.certificate!.rawBytes, 'base64');
  const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
  return createPublicKey(pem);
}

interface RawCheck {
  what: string;
  alg: string | null;
  data: Buffer;
  key: KeyObject;
  sig: Buffer;
}

interface BundleJson {
  messageSignature: { signature: string };
  verificationMaterial: {
    certificate?: { rawBytes: string };
    tlogEntries: {
      logIndex: string;
      integratedTime: string;
      logId: { keyId: string };
      canonicalizedBody: string;
      inclusionPromise?: { signedEntryTimestamp: string };
      inclusionProof?: { checkpoint: { envelope: string } };
    }[];
    timestampVerificationData?: { rfc3161Timestamps: { signedTimestamp: string }[] };
  };
}

/** The bytes and keys of every signature a bundle carries, rebuilt here so raw crypto.verify can check each. */
function rawChecks(c: Case): RawCheck[] {
  const b = JSON.parse(c.bundleText) as BundleJson;
  const m = c.trustRoot.material;
  const checks: RawCheck[] = [
    { what: 'artifact', alg: 'sha256', data: c.artifact, key: c.signerKey(), sig: Buffer.from(b.messageSignature.signature, 'base64') },
  ];
  for (const e of b.verificationMaterial.tlogEntries) {
    const log = m.tlogs.find((t) => t.logID.equals(Buffer.from(e.logId.keyId, 'base64')))!;
    const hash = log.publicKey.asymmetricKeyType === 'ed25519' ? null : 'sha256';
    if (e.inclusionPromise) {
      // Rekor's SET: the canonical JSON of body, integratedTime, logID (hex), logIndex.
      const payload = `{"body":"${e.canonicalizedBody}","integratedTime":${e.integratedTime},"logID":"${Buffer.from(e.logId.keyId, 'base64').toString('hex')}","logIndex":${e.logIndex}}`;
      checks.push({
        what: 'SET',
        alg: hash,
        data: Buffer.from(payload),
        key: log.publicKey,
        sig: Buffer.from(e.inclusionPromise.signedEntryTimestamp, 'base64'),
      });
    }
    if (e.inclusionProof) {
      // C2SP signed note: the note text up to the blank line, signature = base64(4-byte key hint || sig).
      const env = e.inclusionProof.checkpoint.envelope;
      const cut = env.indexOf('\n\n');
      const line = env.slice(cut + 2).split('\n')[0]!;
      const raw = Buffer.from(line.split(' ').at(-1)!, 'base64');
      checks.push({ what: 'checkpoint', alg: hash, data: Buffer.from(env.slice(0, cut + 1)), key: log.publicKey, sig: raw.subarray(4) });
    }
  }
  for (const t of b.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []) {
    const ts = RFC3161Timestamp.parse(Buffer.from(t.signedTimestamp, 'base64'));
    // CMS: the signature covers the DER of signedAttrs re-tagged as a SET (RFC 5652 §5.4).
    const attrs = (ts as unknown as { signedAttrsObj: { toDER(): Buffer } }).signedAttrsObj.toDER();
    attrs[0] = 0x31;
    const tsa = m.timestampAuthorities.find((a) => a.certChain[0]!.serialNumber.equals(ts.signerSerialNumber))!;
    checks.push({
      what: 'RFC 3161',
      alg: ts.signatureAlgorithm,
      data: attrs,
      key: createPublicKey({ key: tsa.certChain[0]!.publicKey, format: 'der', type: 'spki' }),
      sig: ts.signatureValue,
    });
  }
  const cert = b.verificationMaterial.certificate;
  if (cert) {
    const leaf = new NodeX509(Buffer.from(cert.rawBytes, 'base64'));
    const issuer = m.certificateAuthorities.flatMap((a) => a.certChain).find((x) => leaf.checkIssued(new NodeX509(x.root.toDER())))!;
    const issuerKey = createPublicKey({ key: issuer.publicKey, format: 'der', type: 'spki' });
    checks.push({ what: 'certificate', alg: null, data: Buffer.alloc(0), key: issuerKey, sig: Buffer.from(cert.rawBytes, 'base64') });
  }
  return checks;
}

function runRaw(checks: RawCheck[]): void {
  for (const r of checks) {
    // The certificate's signature is checked by OpenSSL as X509_verify does.
    if (r.what === 'certificate') new NodeX509(r.sig).verify(r.key);
    else rawVerify(r.alg, r.data, r.key, r.sig);
  }
}

const durationMs = Number(process.env['BENCH_MS'] ?? 2000);
console.log(`Sigstore bundle verification, ${durationMs} ms per measurement, trusted root parsed once; Node ${process.version}`);
console.log(
  '| bundle | raw artifact crypto.verify/s | raw verify of all its signatures/s (which) | attestry bundles/s | vs artifact signature | vs all signatures |',
);
console.log('|---|---:|---:|---:|---:|---:|');
for (const c of cases) {
  const sig = Buffer.from((JSON.parse(c.bundleText) as { messageSignature: { signature: string } }).messageSignature.signature, 'base64');
  const key = c.signerKey();
  if (!rawVerify('sha256', c.artifact, key, sig)) throw new Error(`${c.name}: raw signature does not verify`);
  const data: BundleArtifact = { kind: 'bytes', data: c.artifact };
  const digest: BundleArtifact = { kind: 'digest', algorithm: 'sha256', digest: createHash('sha256').update(c.artifact).digest() };
  const opts = { policy: c.policy, trustRoot: c.trustRoot };
  verifySigstoreBundle(parseSigstoreBundleText(c.bundleText), { ...opts, artifact: data });
  verifySigstoreBundle(parseSigstoreBundleText(c.bundleText), { ...opts, artifact: digest });
  const checks = rawChecks(c);
  for (const r of checks) {
    const ok = r.what === 'certificate' ? new NodeX509(r.sig).verify(r.key) : rawVerify(r.alg, r.data, r.key, r.sig);
    if (!ok) throw new Error(`${c.name}: raw ${r.what} signature does not verify`);
  }
  const raw = perSecond(durationMs, () => {
    rawVerify('sha256', c.artifact, key, sig);
  });
  const rawAll = perSecond(durationMs, () => runRaw(checks));
  const ours = perSecond(durationMs, () => {
    verifySigstoreBundle(parseSigstoreBundleText(c.bundleText), { ...opts, artifact: data });
  });
  console.log(
    `| ${c.name} | ${raw.toFixed(0)} | ${rawAll.toFixed(0)} (${checks.map((r) => r.what).join(', ')}) | ` +
      `${ours.toFixed(0)} | ${(ours / raw).toFixed(3)} | ${(ours / rawAll).toFixed(2)} |`,
  );
}
