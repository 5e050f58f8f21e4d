/**
 * `trust refresh`: fetches the current `trusted_root.json` through TUF
 * (`@sigstore/tuf`, which checks the whole metadata chain from the embedded
 * root.json seed, or from a given initial root for a private instance) and
 * stores it where verification picks it up. Verification itself never touches
 * the network; this is the one explicit step that does.
 */
import { join } from 'node:path';
import { AttestryError } from '../core/errors.js';
import { ensureDir, writeFileAtomic } from '../core/atomic-file.js';
import { parseJsonText } from '../core/validation.js';
import { PUBLIC_GOOD_TUF_URL, trustRootFromJson, type SigstoreTrustRoot } from './trust-root.js';

export interface RefreshTrustRootOptions {
  /** Where the TUF metadata cache and the refreshed trusted_root.json live. */
  directory: string;
  /** TUF repository (default: the public-good instance's). */
  mirrorUrl?: string;
  /** Initial root.json for a repository that is not in @sigstore/tuf's seeds. */
  initialRootPath?: string;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
}

export interface RefreshTrustRootResult {
  path: string;
  mirrorUrl: string;
  trustRoot: SigstoreTrustRoot;
  tlogs: number;
  certificateAuthorities: number;
  ctlogs: number;
  timestampAuthorities: number;
}

/** Where `trust refresh` writes the trusted root under a directory. */
export function refreshedTrustRootPath(directory: string): string {
  return join(directory, 'trusted_root.json');
}

export async function refreshTrustRoot(options: RefreshTrustRootOptions): Promise<RefreshTrustRootResult> {
  const mirrorUrl = options.mirrorUrl ?? PUBLIC_GOOD_TUF_URL;
  const cachePath = join(options.directory, 'tuf-cache');
  ensureDir(cachePath, 0o700);
  let text: string;
  try {
    // Only `trust refresh` fetches; verification never loads the TUF client.
    const { initTUF } = await import('@sigstore/tuf');
    const client = await initTUF({
      cachePath,
      mirrorURL: mirrorUrl,
      ...(options.initialRootPath !== undefined ? { rootPath: options.initialRootPath } : {}),
      retry: { retries: 1 },
      timeout: options.timeoutMs ?? 10_000,
    });
    text = await client.getTarget('trusted_root.json');
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new AttestryError('E_UNAVAILABLE', `cannot refresh the trusted root from ${mirrorUrl} through TUF: ${reason}`, {
      cause: e,
      details: { mirrorUrl },
    });
  }
  const source = `tuf:${mirrorUrl}`;
  const trustRoot = trustRootFromJson(parseJsonText(text, `trusted_root.json from ${mirrorUrl}`), source);
  const path = refreshedTrustRootPath(options.directory);
  writeFileAtomic(path, `${JSON.stringify(trustRoot.json, null, 2)}\n`);
  const m = trustRoot.material;
  return {
    path,
    mirrorUrl,
    trustRoot,
    tlogs: m.tlogs.length,
    certificateAuthorities: m.certificateAuthorities.length,
    ctlogs: m.ctlogs.length,
    timestampAuthorities: m.timestampAuthorities.length,
  };
}
