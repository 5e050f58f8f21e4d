/**
 * External test data that is not ours to commit, read from local git copies
 * at run time: sigstore/sigstore-conformance (test/assets/bundle-verify) and
 * sigstore/model-transparency (scripts/tests). Each has an environment
 * override and defaults to the mirror path used on the project's machines;
 * without a copy the tests that need it are skipped, saying why.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CONFORMANCE_GIT = process.env['ATTESTRY_SIGSTORE_CONFORMANCE_GIT'] ?? '/work/.mirror/sigstore+sigstore-conformance/repo';
export const MODEL_TRANSPARENCY_GIT = process.env['ATTESTRY_MODEL_TRANSPARENCY_GIT'] ?? '/work/.mirror/sigstore+model-transparency/repo';

export function skipUnless(gitDir: string, repo: string, envVar: string): false | string {
  return existsSync(gitDir) ? false : `no local copy of ${repo} at ${gitDir} (set ${envVar})`;
}

/** Extracts `path` of HEAD into a fresh temp directory; returns the directory and a cleanup. */
export function extractTree(gitDir: string, path: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'attestry-ext-'));
  const tar = execFileSync('git', ['--git-dir', gitDir, 'archive', '--format=tar', 'HEAD', path], { maxBuffer: 256 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The conformance suite's defaults (test/client.py, test/assets/bundle-verify/README.md). */
export const CONFORMANCE_IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
export const CONFORMANCE_ISSUER = 'https://token.actions.githubusercontent.com';
