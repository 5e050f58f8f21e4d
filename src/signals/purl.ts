import { PackageURL } from 'packageurl-js';
import { AttestryError } from '../core/errors.js';

/**
 * Seed 000 §10 rule 5: `componentPurl` must be a valid Package URL. Parsing
 * and per-type normalisation are packageurl-js's (the purl project's own
 * JavaScript implementation), so the rules follow the spec as it changes:
 * e.g. npm and pypi names are lower-cased, pypi `_` becomes `-`, the type is
 * always lower-case, qualifiers are sorted.
 */
export interface ParsedPurl {
  /** The normalised PURL, version, qualifiers and subpath included. */
  readonly canonical: string;
  /** `pkg:type/namespace/name` normalised, without version, qualifiers or subpath: what by-purl lookups match on. */
  readonly key: string;
  readonly version: string | null;
}

/** Longest PURL accepted; real ones are well under 1 KiB, and the key is indexed. */
export const MAX_PURL_LENGTH = 2048;

export function parsePurl(value: unknown, field = 'componentPurl'): ParsedPurl {
  if (typeof value !== 'string' || value.length === 0) {
    throw new AttestryError('E_INVALID_INPUT', `${field}: expected a Package URL such as pkg:npm/%40acme/backend@1.2.3`, {
      details: { field },
    });
  }
  if (value.length > MAX_PURL_LENGTH) {
    throw new AttestryError('E_INVALID_INPUT', `${field}: a Package URL of ${value.length} characters is longer than ${MAX_PURL_LENGTH}`, {
      details: { field },
    });
  }
  let purl: PackageURL;
  try {
    purl = PackageURL.fromString(value);
  } catch (e) {
    // packageurl-js throws PurlError for bad input, and (2.0.1) a ReferenceError
    // from its golang validator for a "v" version that is not semver: both mean
    // the string is not a PURL this library accepts.
    const reason = e instanceof Error && e.message.startsWith('Invalid purl') ? e.message : 'not a valid Package URL';
    throw new AttestryError(
      'E_INVALID_INPUT',
      `${field}: "${shorten(value)}" is not a valid Package URL (${reason}); see https://github.com/package-url/purl-spec`,
      {
        cause: e,
        details: { field },
      },
    );
  }
  const key = new PackageURL(purl.type, purl.namespace, purl.name).toString();
  return { canonical: purl.toString(), key, version: purl.version ?? null };
}

function shorten(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
