/**
 * The exit-code rows of the review and VEX commands (issue 17), declared by
 * test/cli/exit-codes.test.ts through its `row`. They run with --server on
 * one server with the tiny model, whose drafts are made over HTTP (one
 * draft per row that changes one, so no row depends on another's order);
 * the local mode is test/cli/review-cli.test.ts's.
 */
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { join } from 'node:path';
import { jsonOut, runCli, show, type CliResult } from '../helpers/cli.js';
import { makeTempDir, removeDir } from '../helpers/model.js';
import { askGet, PURL, storeGraph, SYM } from '../helpers/reach-http.js';
import { explainVexDraft, startReviewServer, VEX_FINDING } from '../helpers/review-http.js';
import type { TestServer } from '../helpers/server.js';

type Row = (command: string, code: 0 | 1 | 2, what: string, body: () => Promise<CliResult>) => void;

interface Drafts {
  readonly srv: TestServer;
  readonly dir: string;
  readonly reviewer: string;
  readonly graph: string;
  /** Pending, signed: approve → 0. */
  readonly pending: string;
  /** Generated unsigned: approve → 2; publish, export → 1. */
  readonly unsigned: string;
  readonly toReject: string;
  /** Its claim (not_affected) against a verdict that the symbol is reachable. */
  readonly toCheck: string;
  /** Flagged by ground truth. */
  readonly flagged: string;
  /** Approved, not published. */
  readonly approved: string;
  /** Approved and published. */
  readonly published: string;
}

let setup: Promise<Drafts> | undefined;

function drafts(): Promise<Drafts> {
  setup ??= (async () => {
    const srv = await startReviewServer();
    const ai = await srv.token('ai-service', ['default']);
    const reviewer = await srv.token('reviewer', ['default']);
    const signals = await srv.token('signals-service', ['default']);
    const graph = await storeGraph(srv, signals);
    assert.equal((await askGet(srv, signals, [SYM.parse], { callgraph_id: graph, attest: 'true' })).status, 200);
    const make = async (o: { sign?: boolean; symbol?: string } = {}) =>
      String(
        (
          await explainVexDraft(srv, ai, {
            sign: o.sign,
            finding: o.symbol === undefined ? VEX_FINDING : { ...VEX_FINDING, purl: PURL, symbol: o.symbol },
          })
        )['artifactId'],
      );
    const call = async (path: string, body: unknown = {}) => {
      const r = await srv.request('POST', path, { token: reviewer, body });
      assert.ok(r.status === 200 || r.status === 201, `${path}: ${r.status} ${r.text}`);
    };
    const flagged = await make({ symbol: SYM.parse });
    await call(`/api/v1/review/${flagged}/ground-truth`, { callgraphId: graph });
    const approved = await make();
    await call(`/api/v1/review/${approved}/approve`);
    const published = await make();
    await call(`/api/v1/review/${published}/approve`);
    await call(`/api/v1/vex/${published}/publish`);
    return {
      srv,
      dir: makeTempDir('attestry-exit-review-'),
      reviewer,
      graph,
      pending: await make(),
      unsigned: await make({ sign: false }),
      toReject: await make(),
      toCheck: await make({ symbol: SYM.parse }),
      flagged,
      approved,
      published,
    };
  })();
  return setup;
}

export function reviewRows(row: Row): void {
  after(async () => {
    if (setup === undefined) return;
    const d = await setup;
    await d.srv.stop();
    removeDir(d.dir);
  });
  const cli = async (args: (d: Drafts) => string[], expect?: string): Promise<CliResult> => {
    const d = await drafts();
    const r = await runCli([...args(d), '--server', d.srv.url, '--json'], { env: { ATTESTRY_TOKEN: d.reviewer }, cwd: d.dir });
    // The failure this row is about, not another one with the same exit code.
    if (expect !== undefined) assert.equal(jsonOut(r)['code'], expect, show(r));
    return r;
  };

  row('review list', 0, 'the pending drafts are listed', () => cli(() => ['review', 'list', '--type', 'vex_draft']));
  row('review list', 1, 'a state that is not one', () => cli(() => ['review', 'list', '--state', 'bogus']));
  row('review show', 0, 'a draft with its claim', () => cli((d) => ['review', 'show', d.pending]));
  row('review show', 1, 'not an artifact id', () => cli(() => ['review', 'show', 'not-an-id'], 'E_INVALID_INPUT'));
  row('review approve', 0, 'a pending signed draft', () => cli((d) => ['review', 'approve', d.pending, '--comment', 'ok']));
  row('review approve', 1, 'already decided (409)', () => cli((d) => ['review', 'approve', d.approved], 'E_CONFLICT'));
  row('review approve', 2, 'a draft generated unsigned', () => cli((d) => ['review', 'approve', d.unsigned], 'E_SIGNATURE_INVALID'));
  row('review reject', 0, 'with a reason', () => cli((d) => ['review', 'reject', d.toReject, '--reason', 'wrong symbol']));
  row('review reject', 1, 'without --reason', () => cli((d) => ['review', 'reject', d.toReject]));
  row('review ground-truth', 0, 'the verdict disagrees: recorded, flagged', () =>
    cli((d) => ['review', 'ground-truth', d.toCheck, '--callgraph', d.graph]),
  );
  row('review ground-truth', 1, 'without --callgraph', () => cli((d) => ['review', 'ground-truth', d.toCheck]));
  row('review override', 0, 'a flagged draft, with a reason', () =>
    cli((d) => ['review', 'override', d.flagged, '--reason', 'the verdict predates the fix']),
  );
  row('review override', 1, 'without --reason', () => cli((d) => ['review', 'override', d.flagged]));
  row('vex publish', 0, 'an approved draft', () => cli((d) => ['vex', 'publish', d.approved, '--output', join(d.dir, 'vex.json')]));
  row('vex publish', 1, 'a draft nobody approved (409)', () => cli((d) => ['vex', 'publish', d.unsigned], 'E_CONFLICT'));
  row('vex get', 0, 'the statements about a package', () => cli(() => ['vex', 'get', '--purl', 'pkg:npm/lodash']));
  row('vex get', 1, 'neither an artifact id nor --purl', () => cli(() => ['vex', 'get']));
  row('vex export', 0, 'the bundle of a published VEX', () =>
    cli((d) => ['vex', 'export', d.published, '--output', join(d.dir, 'b.json')]),
  );
  row('vex export', 1, 'a draft that was never published (404)', () =>
    cli((d) => ['vex', 'export', d.unsigned, '--output', join(d.dir, 'none.json')], 'E_NOT_FOUND'),
  );
}
