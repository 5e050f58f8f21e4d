/**
 * Sigstore trusted roots (sigstore/protobuf-specs `sigstore_trustroot.proto`,
 * JSON mapping): which Fulcio CAs, Rekor logs, CT logs and timestamp
 * authorities to trust, and when. Offline by default: the public-good root is
 * the `trusted_root.json` embedded in `@sigstore/tuf`'s seeds; a private
 * instance's root is read from a file.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import type { X509Certificate } from '@sigstore/core';
import { toTrustMaterial, type TrustMaterial } from '@sigstore/verify';
import { AttestryError, ioError } from '../core/errors.js';
import { parseJsonText, parseWith } from '../core/validation.js';

/** The TUF repository of the Sigstore public-good instance (the key in `@sigstore/tuf`'s seeds.json). */
export const PUBLIC_GOOD_TUF_URL = 'https://tuf-repo-cdn.sigstore.dev';

/** A trusted root ready for verification; parse once, verify many bundles with it. */
export interface SigstoreTrustRoot {
  /** Where it came from: `embedded:@sigstore/tuf@<version>`, a file path, or a TUF mirror URL. */
  readonly source: string;
  readonly mediaType: string;
  /** The JSON as read (after validation), e.g. to write it out again. */
  readonly json: Readonly<Record<string, unknown>>;
  /** sigstore-js's form of it, what `@sigstore/verify` checks against. */
  readonly material: TrustMaterial;
}

// A trusted root is at most a few hundred KiB; this bounds what a hostile file can make us parse.
export const MAX_TRUSTED_ROOT_BYTES = 8 * 1024 * 1024;

const isoTime = z.iso.datetime({
  offset: true,
  error: (issue) => (issue.input === undefined || issue.input === null ? 'required' : 'not an RFC 3339 timestamp'),
});

// protobuf-specs TimeRange: `start` is required, `end` optional (JSON exporters write null). sigstore-js treats a
// missing start as "since the epoch"; the conformance suite
// (trust-root-tlog-missing-validity-start_fail) says a root like that must be rejected.
const TimeRangeSchema = z
  .looseObject({ start: isoTime, end: isoTime.nullish() })
  .refine((r) => r.end === undefined || r.end === null || Date.parse(r.end) >= Date.parse(r.start), 'validity ends before it starts');

const base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64')
  .min(1);

const LogSchema = z.looseObject({
  baseUrl: z.string().optional(),
  hashAlgorithm: z.string().optional(),
  publicKey: z.looseObject({ rawBytes: base64, keyDetails: z.string().min(1), validFor: TimeRangeSchema }),
  logId: z.looseObject({ keyId: base64 }),
});

const AuthoritySchema = z.looseObject({
  subject: z.looseObject({}).optional(),
  uri: z.string().optional(),
  certChain: z.looseObject({ certificates: z.array(z.looseObject({ rawBytes: base64 })).min(1, 'at least one certificate') }),
  validFor: TimeRangeSchema,
});

const TrustedRootSchema = z.looseObject({
  mediaType: z
    .string()
    .regex(
      /^application\/vnd\.dev\.sigstore\.trustedroot(\+json;version=0\.1|\.v0\.[12]\+json)$/,
      'not a Sigstore trusted root media type',
    ),
  tlogs: z.array(LogSchema).default([]),
  ctlogs: z.array(LogSchema).default([]),
  certificateAuthorities: z.array(AuthoritySchema).default([]),
  timestampAuthorities: z.array(AuthoritySchema).default([]),
});

/** Validates a parsed `trusted_root.json` and turns it into trust material. */
export function trustRootFromJson(input: unknown, source: string): SigstoreTrustRoot {
  const json = parseWith(TrustedRootSchema, input, `trusted root ${source}`, 'E_INVALID_INPUT');
  let material: TrustMaterial;
  try {
    material = toTrustMaterial(TrustedRoot.fromJSON(json));
  } catch (e) {
    // e.g. a key or certificate that is base64 but not DER
    throw new AttestryError('E_INVALID_INPUT', `invalid trusted root ${source}: ${(e as Error).message}`, { cause: e });
  }
  memoizeTrustedChains(material);
  return { source, mediaType: json.mediaType, json, material };
}

/**
 * sigstore-js rebuilds every certificate path per bundle, re-encoding and
 * re-verifying the trusted root's own CA and TSA certificates against each
 * other each time (most of the cost of a keyless verification). Whether one
 * trusted-root certificate verifies under another is a fact about the trusted
 * root alone, so it is computed once per root, like parsing it: each of the
 * root's certificate objects remembers its answer per issuer object. A
 * certificate that comes with a bundle is a new object every time and is
 * always verified afresh.
 */
function memoizeTrustedChains(material: TrustMaterial): void {
  const certs = [...material.certificateAuthorities, ...material.timestampAuthorities].flatMap((ca) => ca.certChain);
  for (const cert of certs) {
    // `equals` (path building, de-duplication) re-encodes both certificates each time.
    const der = cert.root.toDER();
    cert.root.toDER = () => Buffer.from(der);
    const verify = cert.verify.bind(cert);
    const known = new WeakMap<X509Certificate, boolean>();
    let self: boolean | undefined;
    cert.verify = (issuer?: X509Certificate): boolean => {
      if (issuer === undefined) return (self ??= verify());
      let ok = known.get(issuer);
      if (ok === undefined) {
        ok = verify(issuer);
        // Only remember answers about issuers that are themselves trusted-root objects.
        if (certs.includes(issuer)) known.set(issuer, ok);
      }
      return ok;
    };
  }
}

/** Reads and validates a `trusted_root.json` file (a private Sigstore instance, or a refreshed public-good root). */
export function loadTrustRootFile(path: string): SigstoreTrustRoot {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw ioError(e, 'read trusted root', path);
  }
  if (text.length > MAX_TRUSTED_ROOT_BYTES) {
    throw new AttestryError('E_INVALID_INPUT', `trusted root ${path} is over the ${MAX_TRUSTED_ROOT_BYTES}-byte limit`);
  }
  return trustRootFromJson(parseJsonText(text, `trusted root ${path}`), path);
}

interface SeedsFile {
  [mirror: string]: { 'root.json': string; targets: Record<string, string> } | undefined;
}

const require = createRequire(import.meta.url);
let embedded: SigstoreTrustRoot | undefined;

/** The embedded TUF seed of the public-good instance: its initial root.json and targets, base64. */
export function publicGoodSeed(): { rootJson: Buffer; version: string; targets: Record<string, string> } {
  const seeds = require('@sigstore/tuf/seeds.json') as SeedsFile;
  const seed = seeds[PUBLIC_GOOD_TUF_URL];
  if (seed === undefined) throw new AttestryError('E_INTERNAL', `@sigstore/tuf's seeds hold no entry for ${PUBLIC_GOOD_TUF_URL}`);
  const { version } = require('@sigstore/tuf/package.json') as { version: string };
  return { rootJson: Buffer.from(seed['root.json'], 'base64'), version, targets: seed.targets };
}

/**
 * The public-good instance's trusted root exactly as `@sigstore/tuf` ships it,
 * without any network. Parsed once per process.
 */
export function publicGoodTrustRoot(): SigstoreTrustRoot {
  if (embedded) return embedded;
  const seed = publicGoodSeed();
  const target = seed.targets['trusted_root.json'];
  if (target === undefined) throw new AttestryError('E_INTERNAL', "@sigstore/tuf's seeds hold no trusted_root.json");
  const source = `embedded:@sigstore/tuf@${seed.version}`;
  embedded = trustRootFromJson(parseJsonText(Buffer.from(target, 'base64').toString('utf8'), source), source);
  return embedded;
}
