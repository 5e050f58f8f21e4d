/**
 * Issue 18's console in a real browser (Debian's Chromium, headless, through
 * playwright-core) against the real server on SQLite with vex_drafts from the
 * tiny GGUF model: a reviewer approves one draft and rejects another (the
 * signed records checked through the API), an auditor sees no approve
 * button and a forged approve is 403, a batch's chain verifies step by step
 * and fails at its blob once the blob is changed, the reachability path is
 * drawn, the log and Signals pages show their data; every page passes
 * axe-core (no serious or critical violation), reports no CSP violation and
 * is saved as a screenshot under test-output/console/.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import zstd from 'zstd-napi';
import { assertAccessible, browserSkip, launchBrowser, screenshot, type Browser } from '../helpers/browser.js';
import { PURL, storeBatch, storeGraph, SYM } from '../helpers/reach-http.js';
import { explainVexDraft, obj, startReviewServer, type Obj } from '../helpers/review-http.js';
import type { TestServer } from '../helpers/server.js';
import { blobPath, factsNdjson, json } from '../helpers/signals-http.js';

const skip = browserSkip();

describe('the web console in Chromium', { skip }, () => {
  let srv: TestServer;
  let browser: Browser;
  let page: Page;
  let rev: string;
  let aud: string;
  let drafts: string[];
  let graphId: string;
  let batchId: string;

  before(async () => {
    srv = await startReviewServer();
    await srv.addTenant('t1');
    const ai = await srv.token('ai-service', ['t1']);
    const sig = await srv.token('signals-service', ['t1']);
    rev = await srv.token('reviewer', ['t1']);
    aud = await srv.token('audit-service', ['t1']);
    drafts = [];
    for (let i = 0; i < 3; i++) drafts.push(String((await explainVexDraft(srv, ai))['artifactId']));
    graphId = await storeGraph(srv, sig, 't1');
    const batch = await storeBatch(srv, sig, graphId, {
      hits: { [SYM.parse]: 3, [SYM.handle]: 1 },
      source: 'agent-1',
      receivedAt: new Date(Date.now() - 60_000).toISOString(),
      tenant: 't1',
    });
    batchId = String(batch['batchId']);
    const ask = await srv.request(
      'GET',
      `/signals/reachability?callgraph_id=${graphId}&symbol=${encodeURIComponent(SYM.parse)}&attest=true`,
      {
        token: sig,
      },
    );
    assert.equal(ask.status, 200, ask.text);
    browser = await launchBrowser();
    page = await browser.newPage();
  });
  after(async () => {
    // Checked here, not only in the last test: no page may have broken its CSP, whichever tests ran.
    const violations = browser?.cspViolations ?? [];
    await browser?.close();
    await srv?.stop();
    assert.deepEqual(violations, [], 'no page broke its Content-Security-Policy');
  });

  /** The text of what clicking `button` downloads (fetched with the CSRF header, saved by the page). */
  const downloaded = async (button: Locator): Promise<string> => {
    const [file] = await Promise.all([page.waitForEvent('download'), button.click()]);
    const path = await file.path();
    return readFileSync(path, 'utf8');
  };

  const signIn = async (token: string): Promise<void> => {
    await browser.context.clearCookies();
    await page.goto(`${srv.url}/console/`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  };
  const go = async (hash: string): Promise<void> => {
    await page.goto(`${srv.url}/console/${hash}`);
  };
  const review = async (id: string): Promise<Obj> => json(await srv.request('GET', `/api/v1/review/${id}`, { token: rev }));

  test('/console is served with a strict CSP, no inline script, and security headers', async () => {
    const r = await fetch(`${srv.url}/console/`);
    assert.equal(r.status, 200);
    const csp = r.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(r.headers.get('x-frame-options'), 'DENY');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    const html = await r.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'every script is a file');
    assert.doesNotMatch(html, /<style|\sstyle=/, 'every style is a file');
    const script = /src="(\/console\/assets\/index-[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script !== undefined, html);
    const asset = await fetch(`${srv.url}${script}`, { headers: { 'accept-encoding': 'br' } });
    assert.equal(asset.headers.get('content-encoding'), 'br', 'compressed at build time, sent to browsers that accept it');
    assert.match(asset.headers.get('vary') ?? '', /accept-encoding/i);
    assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
    assert.match(asset.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.equal(r.headers.get('cache-control'), 'no-cache', 'index.html is revalidated');
    const bare = await fetch(`${srv.url}/console`, { redirect: 'manual' });
    assert.equal(bare.status, 302);
    assert.equal(bare.headers.get('location'), '/console/');
  });

  test('a reviewer signs in; the token is an HttpOnly SameSite=Strict cookie, not in page storage', async () => {
    await go('');
    await screenshot(page, 'login');
    await assertAccessible(page, 'login page');
    // Signing in by keyboard alone: type the token, press Enter.
    await page.getByLabel('API token').focus();
    await page.keyboard.type(rev);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    const cookie = (await browser.context.cookies()).find((c) => c.name === 'attestry_session');
    assert.ok(cookie !== undefined, 'the session cookie is set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    const seen = await page.evaluate(() => {
      const w = globalThis as unknown as {
        document: { cookie: string };
        localStorage: { length: number };
        sessionStorage: { length: number };
      };
      return { cookie: w.document.cookie, local: w.localStorage.length, session: w.sessionStorage.length };
    });
    assert.deepEqual(seen, { cookie: '', local: 0, session: 0 });
    // A state-changing call with the cookie but without the CSRF header is refused.
    const forged = await page.evaluate(async (id) => {
      const r = await fetch(`/api/v1/review/${id}/approve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return { status: r.status, body: (await r.json()) as { code: string; message: string } };
    }, drafts[0]!);
    assert.equal(forged.status, 403);
    assert.match(forged.body.message, /x-csrf-token/);
    assert.equal((await review(drafts[0]!))['decision'], 'pending', 'nothing was decided');
  });

  test('the reviewer approves one draft and rejects another; the signed records are in the API', async () => {
    const [a, b] = drafts as [string, string];
    await go(`#/review/${a}`);
    await page.getByRole('heading', { name: /Generated text/ }).waitFor();
    for (const what of ['Finding', 'Model and inputs', 'Context documents', 'Decisions'])
      await page.getByRole('heading', { name: what }).first().waitFor();
    assert.ok((await page.getByText('weights digest').count()) > 0);
    await screenshot(page, 'review-pending');
    await assertAccessible(page, 'review page');
    await page.getByLabel('Comment (optional)').fill('checked the call path: parse is not reached');
    // By keyboard: the button takes focus and Enter presses it.
    await page.getByRole('button', { name: 'Approve' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-decision="approved"]').waitFor();
    // The buttons are gone with the decision: focus is on the new state, not lost to <body>.
    await page.waitForFunction(
      () =>
        (
          globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null } | null } }
        ).document.activeElement?.getAttribute('data-decision') === 'approved',
    );
    await page.getByRole('status').filter({ hasText: 'now approved' }).waitFor({ state: 'attached' });
    await page.locator('[data-transition="approval"]').waitFor();
    await screenshot(page, 'review-approved');

    const approved = await review(a);
    assert.equal(approved['decision'], 'approved');
    const t = obj((approved['transitions'] as Obj[])[0]);
    assert.equal(t['comment'], 'checked the call path: parse is not reached');
    const record = await srv.request('GET', `/api/v1/attestations/${String(t['recordId'])}`, { token: rev });
    assert.equal(record.status, 200, record.text);
    assert.equal(obj(json(record)['meta'])['kind'], 'ai-reviews');

    await page.getByRole('button', { name: 'Publish VEX' }).click();
    const vex = JSON.parse(await downloaded(page.getByRole('button', { name: 'Download the OpenVEX document' }))) as Obj;
    assert.equal(vex['@context'], 'https://openvex.dev/ns/v0.2.0');

    await page.getByRole('button', { name: "Verify the draft's chain on the server" }).click();
    await page.getByRole('list', { name: 'Draft chain verification' }).waitFor();
    assert.equal(await page.locator('[data-check="draft-attestation"]').getAttribute('data-status'), 'passed');
    assert.equal(await page.locator('[data-check="transition-chain"]').getAttribute('data-status'), 'passed');
    await screenshot(page, 'review-published');

    await go(`#/review/${b}`);
    await page.getByRole('button', { name: 'Reject' }).click();
    await page.getByRole('alert').filter({ hasText: 'needs a reason' }).waitFor();
    await page.getByLabel('Reason (required to reject)').fill('the justification names the wrong function');
    await page.getByRole('button', { name: 'Reject' }).click();
    await page.locator('[data-decision="rejected"]').waitFor();
    const rejected = await review(b);
    assert.equal(rejected['decision'], 'rejected');
    assert.equal(obj((rejected['transitions'] as Obj[])[0])['reason'], 'the justification names the wrong function');
  });

  test('an auditor sees no approve button, and the API answers 403 to a forged approve', async () => {
    const c = drafts[2]!;
    await signIn(aud);
    await go(`#/review/${c}`);
    await page.getByRole('heading', { name: /Generated text/ }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Approve' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Reject' }).count(), 0);
    await screenshot(page, 'review-auditor');
    const forged = await page.evaluate(async (id) => {
      const s = (await (await fetch('/console/api/session')).json()) as { csrfToken: string };
      const r = await fetch(`/api/v1/review/${id}/approve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrfToken },
        body: '{}',
      });
      return { status: r.status, code: ((await r.json()) as { code: string }).code };
    }, c);
    assert.deepEqual(forged, { status: 403, code: 'E_FORBIDDEN' });
    assert.equal((await srv.request('POST', `/api/v1/review/${c}/approve`, { token: aud, body: {} })).status, 403);
    assert.equal((await review(c))['decision'], 'pending');
  });

  test('the evidence browser verifies a batch chain step by step, and shows a tampered blob as failed', async () => {
    await go('#/evidence');
    await page.getByLabel(/Subject digest, Package URL/).fill(PURL);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator(`[data-hit="callgraph"]`).first().waitFor();
    await go(`#/evidence?q=${batchId}`);
    await page.locator('[data-hit="batch"]').click();
    await page.getByRole('button', { name: 'Verify on the server' }).click();
    await page.locator('[data-verified="true"]').waitFor();
    const steps = await page
      .locator('[data-check]')
      .evaluateAll((els) => els.map((e) => `${e.getAttribute('data-check')}:${e.getAttribute('data-status')}`));
    assert.deepEqual(steps, [
      'blob-hash:passed',
      'provenance-record:passed',
      'attestation-signature:passed',
      'attestation-log-inclusion:passed',
      'manifest-signature:passed',
      'manifest-log-inclusion:passed',
    ]);
    const bundle = JSON.parse(await downloaded(page.getByRole('button', { name: 'Download the Sigstore bundle' }))) as Obj;
    assert.equal(bundle['mediaType'], 'application/vnd.dev.sigstore.bundle.v0.3+json');
    await screenshot(page, 'evidence-verified');
    await assertAccessible(page, 'evidence page');

    writeFileSync(
      blobPath(srv, `runtime-facts/t1/${batchId}.ndjson.zst`),
      zstd.compress(factsNdjson([{ symbolId: SYM.dead, hitCount: 9, observedAt: new Date().toISOString() }])),
    );
    await page.getByRole('button', { name: 'Verify on the server' }).click();
    await page.locator('[data-verified="false"]').waitFor();
    assert.equal(await page.locator('[data-check="blob-hash"]').getAttribute('data-status'), 'failed');
    await screenshot(page, 'evidence-tampered');
  });

  test('the reachability view draws the call path from the entry point, with the runtime batch and the verdict history', async () => {
    await go(`#/reach?graph=${graphId}&symbol=${encodeURIComponent(SYM.parse)}`);
    const svg = page.locator('svg[data-nodes]');
    await svg.waitFor();
    assert.equal(await svg.getAttribute('data-nodes'), '3');
    assert.equal(await svg.getAttribute('data-edges'), '2');
    const drawn = await page.locator('g[data-symbol]').evaluateAll((els) => els.map((e) => e.getAttribute('data-symbol')));
    assert.deepEqual(new Set(drawn), new Set([SYM.main, SYM.handle, SYM.parse]));
    assert.ok(((await page.locator('[data-state]').textContent()) ?? '').length > 0);
    await page.getByRole('link', { name: batchId }).first().waitFor();
    await page.getByRole('heading', { name: 'Verdict history' }).waitFor();
    assert.ok((await page.locator('section[aria-labelledby="history-title"] tbody tr').count()) >= 1);
    await screenshot(page, 'reachability');
    await assertAccessible(page, 'reachability page');
  });

  test("the log view shows the checkpoint's signature, the growth chart, and an inclusion proof checked in the browser", async () => {
    await go('#/log');
    await page.locator('[data-signature="verified"]').waitFor();
    await page.locator('[data-browser-signature="verified"]').waitFor();
    await page.locator('figure.growth svg').waitFor();
    await page.getByLabel(/Entry index/).fill('1');
    await page.getByRole('button', { name: 'Prove inclusion' }).click();
    await page.locator('[data-proof="true"]').waitFor();
    await screenshot(page, 'log');
    await assertAccessible(page, 'log page');
  });

  test('keyboard and addresses: the skip link moves focus without leaving the page; a malformed address still shows the console', async () => {
    await go('#/log');
    await page.getByRole('heading', { name: 'Transparency log' }).waitFor();
    assert.equal(await page.title(), 'Log · attestry console');
    await page.locator('a.skip').focus();
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash), '#/log');
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id),
      'main-content',
    );
    await page.getByRole('heading', { name: 'Transparency log' }).waitFor();
    await go('#/evidence/%E0%A4%A');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.getByRole('heading', { name: 'Evidence' }).waitFor();
  });

  test('the Signals overview counts callgraphs and batches per tenant from the metrics', async () => {
    await go('#/signals');
    const row = page.locator('tr[data-tenant="t1"]');
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    assert.deepEqual(cells.slice(0, 2), ['1', '1'], 'one callgraph, one batch');
    await page.getByText('last GC run').waitFor();
    await screenshot(page, 'signals');
    await assertAccessible(page, 'signals page');
    // The session ends (cookie gone): the next call's 401 brings back the sign-in form, not a page of errors.
    await browser.context.clearCookies();
    await go('#/log');
    await page.getByLabel('API token').waitFor();
    assert.deepEqual(browser.cspViolations, [], 'no page broke its Content-Security-Policy');
  });
});
