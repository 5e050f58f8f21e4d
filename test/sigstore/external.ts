/**
 * Third-party test data read in place from `../shared/fixtures/` (see
 * test/helpers/fixtures.ts and each folder's SOURCE.md):
 * sigstore/sigstore-conformance (test/assets/bundle-verify) and
 * sigstore/model-transparency (scripts/tests). A test that must change a
 * fixture file (tampering) copies it into a temp directory first; the shared
 * folder is never written.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fixturePath, fixtureSkip } from '../helpers/fixtures.js';

export const CONFORMANCE_SUITE = ['sigstore-conformance', 'test', 'assets', 'bundle-verify'] as const;
export const MODEL_TRANSPARENCY_TESTS = ['model-transparency', 'scripts', 'tests'] as const;

export const conformanceSkip = (): false | string => fixtureSkip(...CONFORMANCE_SUITE);
export const modelTransparencySkip = (): false | string => fixtureSkip(...MODEL_TRANSPARENCY_TESTS);

/** `../shared/fixtures/sigstore-conformance/test/assets/bundle-verify[/parts]`. */
export function conformancePath(...parts: string[]): string {
  return fixturePath(...CONFORMANCE_SUITE, ...parts);
}

/** `../shared/fixtures/model-transparency/scripts/tests[/parts]`. */
export function modelTransparencyPath(...parts: string[]): string {
  return fixturePath(...MODEL_TRANSPARENCY_TESTS, ...parts);
}

/** Copies a fixture folder into a fresh temp directory (for tests that tamper with it). */
export function copyFixture(source: string): { dir: string; cleanup: () => void } {
  const base = mkdtempSync(join(tmpdir(), 'attestry-fixture-'));
  const dir = join(base, basename(source));
  cpSync(source, dir, { recursive: true });
  return { dir, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

/** The conformance suite's defaults (test/client.py, test/assets/bundle-verify/README.md). */
export const CONFORMANCE_IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
export const CONFORMANCE_ISSUER = 'https://token.actions.githubusercontent.com';
