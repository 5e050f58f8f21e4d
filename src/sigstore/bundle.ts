/**
 * Reading Sigstore bundles (v0.1, v0.2, v0.3; sigstore/protobuf-specs
 * `sigstore_bundle.proto`) from untrusted bytes into `@sigstore/bundle`'s
 * validated form, with messages that say what is wrong.
 */
import {
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
  ValidationError,
  bundleFromJSON,
  type Bundle,
} from '@sigstore/bundle';
import { Bundle as ProtoBundle } from '@sigstore/protobuf-specs';
import { AttestryError } from '../core/errors.js';
import { readTextFileBounded } from '../core/bounded-read.js';
import { parseJsonText } from '../core/validation.js';

export type BundleVersion = '0.1' | '0.2' | '0.3';

const VERSIONS: Record<string, BundleVersion> = {
  [BUNDLE_V01_MEDIA_TYPE]: '0.1',
  [BUNDLE_V02_MEDIA_TYPE]: '0.2',
  [BUNDLE_V03_LEGACY_MEDIA_TYPE]: '0.3',
  [BUNDLE_V03_MEDIA_TYPE]: '0.3',
};

/** Real bundles are KiB; a model signature over 100,000 files a few MiB. Far larger is hostile. */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

export interface ParsedSigstoreBundle {
  bundle: Bundle;
  version: BundleVersion;
  mediaType: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates parsed JSON as a Sigstore bundle (`@sigstore/bundle`'s checks, plus a clear media type message). */
export function parseSigstoreBundle(input: unknown, what = 'Sigstore bundle'): ParsedSigstoreBundle {
  if (!isRecord(input)) throw new AttestryError('E_SIGNATURE_FORMAT', `${what} is not a JSON object`);
  const mediaType = input['mediaType'];
  const version = typeof mediaType === 'string' ? VERSIONS[mediaType] : undefined;
  if (typeof mediaType !== 'string' || version === undefined) {
    throw new AttestryError(
      'E_SIGNATURE_FORMAT',
      `${what} has ${typeof mediaType === 'string' ? `unknown media type "${mediaType.slice(0, 200)}"` : 'no mediaType'}; expected one of ${Object.keys(VERSIONS).join(', ')}`,
      { details: { field: 'mediaType' } },
    );
  }
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(input);
  } catch (e) {
    if (e instanceof ValidationError) {
      const fields = e.fields.length > 0 ? ` (${e.fields.join(', ')})` : '';
      throw new AttestryError('E_SIGNATURE_FORMAT', `${what} is not a valid v${version} bundle: ${e.message}${fields}`, {
        cause: e,
        details: { fields: e.fields },
      });
    }
    // protobuf-specs' fromJSON throws plain errors for values of the wrong type.
    throw new AttestryError('E_SIGNATURE_FORMAT', `${what} is not a valid v${version} bundle: ${(e as Error).message}`, { cause: e });
  }
  return { bundle, version, mediaType };
}

/** Parses bundle JSON text. */
export function parseSigstoreBundleText(text: string, what = 'Sigstore bundle'): ParsedSigstoreBundle {
  if (text.length > MAX_BUNDLE_BYTES) throw new AttestryError('E_INVALID_INPUT', `${what} is over the ${MAX_BUNDLE_BYTES}-byte limit`);
  return parseSigstoreBundle(parseJsonText(text, what, 'E_SIGNATURE_FORMAT'), what);
}

/** Reads a bundle file, refusing files over `limit` bytes before reading them. */
export function readSigstoreBundleFile(path: string, limit = MAX_BUNDLE_BYTES): ParsedSigstoreBundle {
  return parseSigstoreBundleText(readTextFileBounded(path, limit, 'bundle'), `bundle ${path}`);
}

/** A bundle decoded by protobuf-specs only, without `@sigstore/bundle`'s per-version rules. */
export interface LenientBundle {
  bundle: ProtoBundle;
  mediaType: string;
}

/**
 * model_signing's certificate method writes the v0.3 media type with an
 * `x509CertificateChain`, which the bundle spec reserves for v0.1/v0.2 (and
 * `@sigstore/bundle` rejects). Those bundles are read here: known media type,
 * a DSSE envelope with a signature, and at least one certificate.
 */
export function readLenientBundleFile(path: string, limit = MAX_BUNDLE_BYTES): LenientBundle {
  const what = `bundle ${path}`;
  const input = parseJsonText(readTextFileBounded(path, limit, 'bundle'), what, 'E_SIGNATURE_FORMAT');
  if (!isRecord(input) || typeof input['mediaType'] !== 'string' || VERSIONS[input['mediaType']] === undefined) {
    throw new AttestryError('E_SIGNATURE_FORMAT', `${what} is not a Sigstore bundle (missing or unknown mediaType)`);
  }
  let bundle: ProtoBundle;
  try {
    bundle = ProtoBundle.fromJSON(input);
  } catch (e) {
    throw new AttestryError('E_SIGNATURE_FORMAT', `${what} is not a valid bundle: ${(e as Error).message}`, { cause: e });
  }
  const vm = bundle.verificationMaterial?.content;
  const certs = vm?.$case === 'x509CertificateChain' ? vm.x509CertificateChain.certificates.length : vm?.$case === 'certificate' ? 1 : 0;
  if (certs === 0)
    throw new AttestryError('E_SIGNATURE_FORMAT', `${what} carries no certificate (verificationMaterial.x509CertificateChain)`);
  if (bundle.content?.$case !== 'dsseEnvelope' || bundle.content.dsseEnvelope.signatures.length === 0) {
    throw new AttestryError('E_SIGNATURE_FORMAT', `${what} holds no signed DSSE envelope`);
  }
  return { bundle, mediaType: input['mediaType'] };
}
