/**
 * Human review of AI drafts and VEX publishing (issue 17) through the use
 * cases, on SQLite and PostgreSQL: real drafts from the tiny GGUF model, real
 * signed reachability verdicts for the ground-truth check, every transition
 * allowed and refused, N-of-M approvals, requireDistinctReviewer, the
 * published OpenVEX against its JSON schema, and the chain re-verified.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { aiModule } from '../../src/app/ai-module.js';
import { reviewModule } from '../../src/app/review-module.js';
import { ReviewService } from '../../src/ai/review.js';
import type { ReviewUseCases } from '../../src/ai/review-use-cases.js';
import type { AiUseCases, ExplainResult } from '../../src/ai/use-cases.js';
import type { Principal } from '../../src/authz/principal.js';
import type { Role } from '../../src/core/roles.js';
import { parseVexAttestation } from '../../src/ai/vex-attestation.js';
import { expectRejects } from '../helpers/model.js';
import { assertOpenVex } from '../helpers/openvex-schema.js';
import { DEFAULT_PURL, openReachEnv, REACH_BACKENDS, reachSkip, type ReachEnv } from '../helpers/reach-service.js';
import { tinyModelPath } from '../helpers/tiny-model.js';

const MAIN = 'sym:java:app.Main.main()';
const LIVE = 'sym:java:lib.V.reach()';
const DEAD = 'sym:java:lib.V.dead()';
const NODES = [
  { id: 'main', symbol: MAIN, entry: true },
  { id: 'v', symbol: LIVE },
  { id: 'd', symbol: DEAD },
];
const EDGES = [['main', 'v']] as const;

const who = (tokenId: string, role: Role, tenants: readonly string[] | '*' = ['acme']): Principal => ({ tokenId, role, tenants });
const AI = who('generator', 'ai-service');
const ALICE = who('alice', 'reviewer');
const BOB = who('bob', 'reviewer');
const backend = { kind: 'local' as const, modelPath: tinyModelPath(1), threads: 1 };

for (const db of REACH_BACKENDS) {
  describe(`review and VEX on ${db}`, () => {
    let env: ReachEnv;
    let skip: string | false = false;
    let ai: AiUseCases;
    let review: ReviewUseCases;
    let graph: string;
    const draft = async (symbol = DEAD, by: Principal = AI, type: 'vex_draft' | 'explanation' = 'vex_draft'): Promise<ExplainResult> =>
      ai.explain(by, {
        tenant: 'acme',
        artifactType: type,
        finding: {
          id: `f-${symbol}`,
          cve: 'CVE-2025-0001',
          purl: DEFAULT_PURL,
          description: 'deserialisation in lib.V',
          symbol,
          vex: { status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' },
        },
        parameters: { maxTokens: 12 },
        backend,
      });
    const verdict = async (symbol: string): Promise<void> => {
      await env.reach.answer(env.service(), { callgraphId: graph, symbols: [symbol], window: { since: null, until: null }, attest: true });
    };
    const withConfig = (review: Partial<ReviewService['d']['config']['review']>): ReviewUseCases => {
      const base = env.t.app.useCases(reviewModule) as ReviewService;
      return new ReviewService({ ...base.d, config: { ...base.d.config, review: { ...base.d.config.review, ...review } } });
    };

    // Rules that involve no backend-specific storage run once, on SQLite; the flows that commit,
    // race and read verdicts run on both.
    const onSqlite = (name: string, fn: (t: TestContext) => Promise<void>): void => {
      if (db === 'sqlite') test(name, fn);
    };

    before(async () => {
      skip = await reachSkip(db);
      if (skip !== false) return;
      env = await openReachEnv(db);
      ai = env.t.app.useCases(aiModule);
      review = env.t.app.useCases(reviewModule);
      graph = await env.storeGraph(NODES, EDGES);
    });
    after(async () => {
      if (skip === false) await env.close();
    });

    test('a vex_draft waits for review; a reviewer approves it once; other roles cannot', async (t) => {
      if (skip) return t.skip(skip);
      const d = await draft();
      assert.equal(d.authority, 'ai-draft-requires-review');
      const pending = await review.list(ALICE, { type: 'vex_draft' });
      assert.ok(pending.some((p) => p.artifactId === d.artifactId && p.decision === 'pending'));
      const shown = await review.show(who('auditor', 'audit-service'), d.artifactId);
      assert.equal(shown.claim?.status, 'not_affected');
      assert.equal(shown.claim?.symbol, DEAD);
      assert.equal(shown.weightsDigest, d.manifest.model.weightsDigest);
      for (const role of ['ai-service', 'audit-service', 'policy-engine', 'signals-service', 'scanner-worker', 'admin'] as const)
        await expectRejects(() => review.approve(who('x', role, '*'), d.artifactId, {}), 'E_FORBIDDEN');
      await expectRejects(() => review.approve(who('eve', 'reviewer', ['other']), d.artifactId, {}), 'E_NOT_FOUND');
      await expectRejects(() => review.publish(ALICE, d.artifactId, {}), 'E_CONFLICT', /needs human approval.*0 of 1/);
      const ok = await review.approve(ALICE, d.artifactId, { comment: 'checked the call graph' });
      assert.equal(ok.item.authority, 'human-approved');
      assert.equal(ok.transition.kind, 'approval');
      assert.equal(ok.transition.principal.tokenId, 'alice');
      assert.equal(ok.transition.comment, 'checked the call graph');
      assert.equal(
        ok.transition.draft.statementDigest,
        (
          await env.t.app.index.db
            .selectFrom('ai_artifacts')
            .select('statement_digest')
            .where('artifact_id', '=', d.artifactId)
            .executeTakeFirstOrThrow()
        ).statement_digest,
      );
      assert.equal(typeof ok.transition.logIndex, 'number');
      await expectRejects(() => review.approve(BOB, d.artifactId, {}), 'E_CONFLICT', /already decided/);
      await expectRejects(() => review.reject(BOB, d.artifactId, { reason: 'late' }), 'E_CONFLICT');

      const pub = await review.publish(ALICE, d.artifactId, {});
      assert.equal(pub.created, true);
      assertOpenVex(pub.document);
      const st = pub.document.statements[0];
      assert.equal(st?.status, 'not_affected');
      assert.equal(st?.justification, 'vulnerable_code_not_in_execute_path');
      assert.equal(st?.products[0]?.['@id'], DEFAULT_PURL);
      assert.equal(parseVexAttestation(pub.envelope).document['@id'], pub.vexId);
      assert.equal((await review.publish(ALICE, d.artifactId, {})).created, false, 'a retry returns the publication');
      const listed = await review.vex(who('scanner', 'scanner-worker'), { purl: 'pkg:maven/org.example/app' });
      assert.deepEqual(
        listed.map((v) => v.artifactId),
        [d.artifactId],
      );
      assert.equal((await review.vex(ALICE, { purl: DEFAULT_PURL })).length, 1);
      assert.equal((await review.vex(ALICE, { purl: 'pkg:maven/org.example/app@9.9.9' })).length, 0);
      await expectRejects(() => review.vexOf(who('eve', 'reviewer', ['other']), d.artifactId), 'E_NOT_FOUND');
      const bundle = (await review.exportVex(ALICE, d.artifactId)) as { mediaType: string };
      assert.match(bundle.mediaType, /sigstore\.bundle/);

      const chain = await review.verifyChain(ALICE, { attestation: pub.envelope });
      assert.equal(chain.valid, true, JSON.stringify(chain.checks));
      assert.deepEqual(
        chain.checks.map((c) => c.name),
        [
          'vex-signature',
          'vex-published',
          'vex-log-inclusion',
          'draft-attestation',
          'transition-chain',
          'transition-signatures',
          'transition-log-inclusion',
          'authority',
          'publication-binding',
        ],
      );
      const forged = {
        ...pub.envelope,
        signatures: [{ keyid: pub.envelope.signatures[0]?.keyid ?? '', sig: Buffer.alloc(64, 1).toString('base64') }],
      };
      const bad = await review.verifyChain(ALICE, { attestation: forged });
      assert.equal(bad.valid, false);
      assert.equal(bad.failedCheck, 'vex-signature');
      const audit = await ai.audit(who('auditor', 'audit-service'), { artifactId: d.artifactId });
      assert.deepEqual(
        audit.map((a) => a.operation).filter((o) => o !== 'ai_verification'),
        ['ai_generation', 'ai_review', 'vex_publication'],
      );
      assert.equal((await ai.verifyAudit(who('auditor', 'audit-service'))).ok, true);
    });

    onSqlite('reject needs a reason and is final; an unapproved draft is never published or served', async (t) => {
      if (skip) return t.skip(skip);
      const d = await draft();
      await expectRejects(() => review.reject(ALICE, d.artifactId, { reason: '  ' }), 'E_INVALID_INPUT', /reason/);
      await expectRejects(() => review.vexOf(ALICE, d.artifactId), 'E_NOT_FOUND');
      const r = await review.reject(ALICE, d.artifactId, { reason: 'the symbol is reachable through reflection' });
      assert.equal(r.item.decision, 'rejected');
      assert.equal(r.transition.reason, 'the symbol is reachable through reflection');
      await expectRejects(() => review.approve(BOB, d.artifactId, {}), 'E_CONFLICT', /rejected/);
      await expectRejects(() => review.publish(BOB, d.artifactId, {}), 'E_CONFLICT', /rejected/);
      await expectRejects(() => review.reject(BOB, d.artifactId, { reason: 'again' }), 'E_CONFLICT');
      await expectRejects(() => review.vexOf(ALICE, d.artifactId), 'E_NOT_FOUND');
      assert.ok(!(await review.list(ALICE, {})).some((p) => p.artifactId === d.artifactId), 'no longer pending');
      assert.ok((await review.list(ALICE, { state: 'rejected' })).some((p) => p.artifactId === d.artifactId));
    });

    test('two approvals required: the same reviewer twice is refused, a second reviewer decides', async (t) => {
      if (skip) return t.skip(skip);
      const two = withConfig({ approvalsRequired: 2 });
      const d = await draft();
      const first = await two.approve(ALICE, d.artifactId, {});
      assert.equal(first.item.authority, 'ai-draft-requires-review');
      assert.deepEqual(first.item.approvals, { count: 1, required: 2, reviewers: ['alice'] });
      await expectRejects(() => two.approve(ALICE, d.artifactId, {}), 'E_CONFLICT', /already approved/);
      await expectRejects(() => two.publish(ALICE, d.artifactId, {}), 'E_CONFLICT', /1 of 2/);
      const second = await two.approve(BOB, d.artifactId, {});
      assert.equal(second.item.authority, 'human-approved');
      assert.equal(second.transition.previousDigest, first.transition.digest);
    });

    onSqlite('requireDistinctReviewer: who asked for a draft may not approve it', async (t) => {
      if (skip) return t.skip(skip);
      const distinct = withConfig({ requireDistinctReviewer: true });
      const d = await draft(DEAD, who('carol', 'ai-service'));
      await expectRejects(() => distinct.approve(who('carol', 'reviewer'), d.artifactId, {}), 'E_FORBIDDEN', /requireDistinctReviewer/);
      assert.equal((await distinct.approve(ALICE, d.artifactId, {})).item.authority, 'human-approved');
    });

    test('ground truth: agreeing with a signed verdict makes ai-verified; disagreeing flags until a reviewer overrides', async (t) => {
      if (skip) return t.skip(skip);
      await verdict(DEAD);
      await verdict(LIVE);
      const agree = await draft(DEAD);
      const checked = await review.groundTruth(AI, agree.artifactId, { callgraphId: graph });
      assert.equal(checked.transition.groundTruth?.outcome, 'agrees', checked.transition.groundTruth?.message);
      assert.equal(checked.transition.groundTruth?.verdict.state, 'StaticUnreachable');
      assert.match(checked.transition.groundTruth?.verdict.digest ?? '', /^sha256:[0-9a-f]{64}$/);
      assert.equal(checked.item.authority, 'ai-verified');
      await expectRejects(() => review.publish(ALICE, agree.artifactId, {}), 'E_CONFLICT', /publishVerified is off/);
      const verified = await withConfig({ publishVerified: true }).publish(ALICE, agree.artifactId, {});
      assertOpenVex(verified.document);
      assert.match(verified.document.statements[0]?.status_notes ?? '', /verified by reachability verdict/);

      const wrong = await draft(LIVE);
      const flagged = await review.groundTruth(ALICE, wrong.artifactId, { callgraphId: graph });
      assert.equal(flagged.transition.groundTruth?.outcome, 'disagrees');
      assert.equal(flagged.item.flagged, true);
      await review.approve(ALICE, wrong.artifactId, {});
      await expectRejects(() => review.publish(ALICE, wrong.artifactId, {}), 'E_CONFLICT', /override/);
      await expectRejects(() => review.override(AI, wrong.artifactId, { reason: 'x' }), 'E_FORBIDDEN');
      await expectRejects(() => review.override(ALICE, wrong.artifactId, { reason: '' }), 'E_INVALID_INPUT');
      await review.override(ALICE, wrong.artifactId, { reason: 'the path needs a config flag we never set' });
      const pub = await review.publish(ALICE, wrong.artifactId, {});
      assert.equal((await review.verifyChain(BOB, { attestation: pub.envelope })).valid, true);
      await expectRejects(
        () => review.groundTruth(ALICE, agree.artifactId, { callgraphId: graph, symbol: MAIN }),
        'E_CONFLICT',
        /published/,
      );
      const explanation = await draft(DEAD, AI, 'explanation');
      await expectRejects(() => review.groundTruth(ALICE, explanation.artifactId, { callgraphId: graph }), 'E_INVALID_INPUT', /vex_draft/);
    });

    onSqlite('a draft whose attestation no longer verifies is not approved, and the failed check is named', async (t) => {
      if (skip) return t.skip(skip);
      const d = await draft();
      const path = join(env.t.app.config.dataDir, 'cas', 'signals', d.keys.envelope ?? '');
      const env_ = JSON.parse(readFileSync(path, 'utf8')) as { signatures: { sig: string }[] };
      const sig = Buffer.from(env_.signatures[0]?.sig ?? '', 'base64');
      sig[0] = (sig[0] ?? 0) ^ 1;
      (env_.signatures[0] as { sig: string }).sig = sig.toString('base64');
      writeFileSync(path, JSON.stringify(env_));
      await expectRejects(() => review.approve(ALICE, d.artifactId, {}), 'E_SIGNATURE_INVALID', /no longer verifies/);
      const listed = (await review.list(ALICE, { state: 'all' })).find((i) => i.artifactId === d.artifactId);
      assert.equal(listed?.decision, 'pending', 'nothing was recorded');
      assert.equal(listed?.approvals.count, 0);
      await expectRejects(() => review.show(ALICE, d.artifactId), 'E_INTEGRITY', /integrity check/);
    });
  });
}
