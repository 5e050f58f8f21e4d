/**
 * Artifact and manifest ids in the seed's shape: `ai-artifact-YYYYMMDD-<ULID>`
 * and `replay-YYYYMMDD-<ULID>`. The ULID makes them unique across nodes, and
 * the date is the ULID's own time (UTC), so the locker layout
 * (ai-attestations/{tenant}/YYYY/MM/DD/…) follows from the id alone.
 */
import { AttestryError } from '../core/errors.js';
import { parseUlid } from '../core/ids.js';
import { ulidDateParts } from '../kinds/template.js';

export interface ArtifactIds {
  readonly artifactId: string;
  readonly manifestId: string;
  readonly date: string;
  readonly ulid: string;
}

export function artifactIdsFor(ulid: string): ArtifactIds {
  const id = parseUlid(ulid, 'artifact ULID');
  const { yyyymmdd } = ulidDateParts(id);
  return { artifactId: `ai-artifact-${yyyymmdd}-${id}`, manifestId: `replay-${yyyymmdd}-${id}`, date: yyyymmdd, ulid: id };
}

function parsePrefixed(value: unknown, prefix: string, field: string): { ulid: string; date: string } {
  const m = typeof value === 'string' ? new RegExp(`^${prefix}-(\\d{8})-([0-9A-Za-z]{26})$`).exec(value) : null;
  if (m === null)
    throw new AttestryError(
      'E_INVALID_INPUT',
      `${field}: expected ${prefix}-YYYYMMDD-<ULID>, got ${JSON.stringify(String(value).slice(0, 80))}`,
    );
  const ulid = parseUlid(m[2], field);
  const date = m[1] as string;
  if (ulidDateParts(ulid).yyyymmdd !== date)
    throw new AttestryError('E_INVALID_INPUT', `${field}: the date ${date} is not the date of its ULID`);
  return { ulid, date };
}

export const parseArtifactId = (value: unknown): { ulid: string; date: string } => parsePrefixed(value, 'ai-artifact', 'artifactId');
export const parseManifestId = (value: unknown): { ulid: string; date: string } => parsePrefixed(value, 'replay', 'manifestId');
