/**
 * Debian's Chromium driven by playwright-core for the console's browser tests
 * (issue 18): launched headless with the flags this machine needs and a fresh
 * profile, axe-core run inside the page, screenshots under the test output
 * folder. Without /usr/bin/chromium the tests skip with the apt-get hint;
 * where .ci/run set ATTESTRY_REQUIRE_TOOLS=1 a missing browser fails them.
 * Loading this file runs nothing.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axe from 'axe-core';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { toolSkip } from './tools.js';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** false, or why the browser tests skip (throws under ATTESTRY_REQUIRE_TOOLS=1). */
export function browserSkip(): false | string {
  return toolSkip(CHROMIUM, 'chromium');
}

/** Where screenshots go: ATTESTRY_TEST_OUTPUT, default test-output/ at the project root. */
export const SCREENSHOTS = join(process.env['ATTESTRY_TEST_OUTPUT'] ?? 'test-output', 'console');

export interface Browser {
  readonly context: BrowserContext;
  /** Content-Security-Policy violations the pages reported (there must be none). */
  readonly cspViolations: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'attestry-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
    viewport: { width: 1280, height: 900 },
  });
  const cspViolations: string[] = [];
  const watch = (page: Page): void => {
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
    });
  };
  context.on('page', watch);
  for (const p of context.pages()) watch(p);
  return {
    context,
    cspViolations,
    newPage: () => context.newPage(),
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  nodes: { target: unknown }[];
}

/**
 * Runs axe-core in the page (evaluated through the DevTools protocol, which
 * the page's CSP does not govern) and fails on any violation of serious or
 * critical impact, naming each rule and where.
 */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  await page.evaluate(axe.source);
  const violations = await page.evaluate(async () => {
    const w = globalThis as unknown as {
      axe: { run(ctx: unknown, o: object): Promise<{ violations: AxeViolation[] }> };
      document: unknown;
    };
    const r = await w.axe.run(w.document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      nodes: v.nodes.map((n) => JSON.stringify(n.target)),
    }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.impact ?? ''} ${v.id}: ${v.help} at ${v.nodes.slice(0, 3).join(', ')}`),
    [],
    `${what}: axe-core found serious or critical violations`,
  );
}
