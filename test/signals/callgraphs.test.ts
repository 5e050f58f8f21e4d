/**
 * Callgraphs (seed 000 §4, §6.1, §10) through CallgraphService over a real
 * app on SQLite and on PostgreSQL: the filesystem blob store, the locker
 * with its transparency log, and the service's real signing key.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sha256Digest } from '../../src/core/digest.js';
import type { ErrorCode } from '../../src/core/errors.js';
import { ulidSource } from '../../src/core/ids.js';
import { parseEnvelope } from '../../src/crypto/dsse.js';
import { parseCallgraph } from '../../src/signals/callgraph-input.js';
import { normalizedLines } from '../../src/signals/callgraph-normalize.js';
import { CallgraphService } from '../../src/signals/callgraphs.js';
import { DEFAULT_SIGNALS_LIMITS } from '../../src/signals/deps.js';
import { envelopeMatchesManifest, verifyManifestSignature } from '../../src/signals/manifest.js';
import type { CallgraphManifest } from '../../src/signals/types.js';
import type { CasKey } from '../../src/store/blob/cas-key.js';
import { dropSchema, probePostgres, SKIP_PG } from '../helpers/databases.js';
import {
  bodyOf,
  MANIFEST_FIELDS,
  ndjsonCallgraph,
  openSignalsTestApp,
  principalOf,
  readAll,
  rejectsWith,
  tripwireBody,
  type RecordedSignalsEvents,
  type SignalsBackend,
  type SignalsTestApp,
} from '../helpers/signals.js';

const pgUnreachable = await probePostgres();
const PURL = 'pkg:npm/%40acme/backend@1.2.3';
const GRAPH = ndjsonCallgraph(
  4,
  [
    [0, 1],
    [1, 2],
    [0, 3],
    [2, 3],
  ],
  2,
);

const scanner = principalOf('scanner-worker', ['acme']);
const policy = principalOf('policy-engine', ['acme']);
const audit = principalOf('audit-service', ['acme']);
const otherPolicy = principalOf('policy-engine', ['other']);
const admin = principalOf('admin', '*');

const query = (over: Record<string, string | undefined> = {}) => ({
  language: 'javascript',
  source: 'stella-callgraph-node',
  componentPurl: PURL,
  ...over,
});

async function normalizedOf(text: string): Promise<string> {
  const limits = {
    maxBytes: DEFAULT_SIGNALS_LIMITS.maxCallgraphBytes,
    maxLineBytes: DEFAULT_SIGNALS_LIMITS.maxLineBytes,
    maxNodes: 1000,
    maxEdges: 1000,
  };
  return [...normalizedLines(await parseCallgraph(bodyOf(text), 'ndjson', limits))].join('');
}

for (const backend of ['sqlite', 'postgres'] as const satisfies readonly SignalsBackend[]) {
  describe(`callgraphs on ${backend === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`, () => {
    const skip = backend === 'postgres' && pgUnreachable !== undefined && SKIP_PG ? `PostgreSQL unreachable: ${pgUnreachable}` : false;
    const schema = `attestry_sigcg_${randomBytes(6).toString('hex')}`;
    let t: SignalsTestApp;
    let service: CallgraphService;
    let stored: CallgraphManifest;
    before(async () => {
      if (skip) return;
      t = await openSignalsTestApp(backend, schema, { tenants: ['acme', 'other'] });
      service = new CallgraphService(t.deps);
      stored = (await service.storeCallgraph(scanner, query(), bodyOf(GRAPH, 100), 'ndjson')).manifest;
    });
    after(async () => {
      if (skip) return;
      await t.close();
      if (backend === 'postgres') await dropSchema(schema);
    });

    it('stores a graph: §4.2 manifest, signed by Signals.Signing.KeyId, logged, blobs at the §3.1 keys', { skip }, async () => {
      assert.deepEqual(Object.keys(stored), MANIFEST_FIELDS);
      assert.match(stored.graphId, /^[0-9A-HJKMNP-TV-Z]{26}$/);
      const normalized = await normalizedOf(GRAPH);
      assert.equal(stored.digest, sha256Digest(normalized));
      assert.equal(stored.componentPurl, PURL);
      assert.equal(stored.tenantId, 'acme');
      assert.equal(stored.nodeCount, 4);
      assert.equal(stored.edgeCount, 4);
      assert.deepEqual(stored.entryPoints, ['n0', 'n1']);
      assert.equal(stored.signerKeyId, t.app.config.Signals.Signing.KeyId);
      assert.ok(stored.signature !== null && verifyManifestSignature(stored, t.deps.signer.publicKey));
      assert.match(stored.rekorUuid ?? '', /^[0-9a-f]{64}$/);
      const id = stored.graphId;
      for (const key of [
        `callgraphs/acme/${id}.ndjson.zst`,
        `callgraphs/acme/${id}.meta.json`,
        `manifests/${id}.json`,
        `manifests/${id}.json.dsse`,
      ]) {
        assert.ok((await t.app.blobs.head(key as CasKey)) !== undefined, `${key} is stored`);
      }
      const events = (t.deps.events as RecordedSignalsEvents).calls;
      assert.deepEqual(
        events.filter((c) => c.name === 'callgraphStored').map((c) => c.args),
        [['javascript', 'acme', 4]],
      );
      assert.ok(events.some((c) => c.name === 'casOperation' && c.args[0] === 'put' && c.args[1] === 'success'));
    });

    it('serves the normalised graph, digest-checked, with the verified manifest and its DSSE envelope', { skip }, async () => {
      const { manifest, content } = await service.getCallgraph(policy, stored.graphId);
      assert.deepEqual(manifest, stored);
      assert.equal((await readAll(content)).toString('utf8'), await normalizedOf(GRAPH));
      assert.deepEqual(await service.getManifest(audit, stored.graphId), stored);
      const envelope = parseEnvelope(JSON.parse((await service.getManifestEnvelope(policy, stored.graphId)).toString('utf8')));
      assert.equal(envelope.payloadType, 'application/vnd.attestry.callgraph-manifest+json');
      assert.ok(envelopeMatchesManifest(envelope, stored));
    });

    it('a stella.callgraph.v1 document is stored in the same normalised form, its metadata kept in .meta.json', { skip }, async () => {
      const doc = {
        schema: 'stella.callgraph.v1',
        scanKey: 'scan-42',
        language: 'java',
        artifacts: [{ artifactKey: 'app.jar' }],
        nodes: [
          { id: 'n1', name: 'com.acme.App.main', kind: 'method', isEntrypointCandidate: true },
          { id: 'n2', name: 'com.acme.Util.run', kind: 'method' },
        ],
        edges: [{ sourceId: 'n1', targetId: 'n2', kind: 'static', reason: 'direct_call' }],
        entrypoints: [],
        metadata: { tool: 'stella-callgraph-java' },
      };
      const text = JSON.stringify(doc);
      const { manifest } = await service.storeCallgraph(
        scanner,
        query({ language: 'java', componentPurl: 'pkg:maven/com.acme/app@1.0', digest: sha256Digest(text) }),
        bodyOf(text, 10),
        'json',
      );
      assert.deepEqual([manifest.nodeCount, manifest.edgeCount, manifest.entryPoints], [2, 1, ['n1']]);
      const { content } = await service.getCallgraph(policy, manifest.graphId);
      const served = (await readAll(content)).toString('utf8');
      assert.equal(sha256Digest(served), manifest.digest);
      assert.deepEqual(
        served
          .trim()
          .split('\n')
          .map((l) => (JSON.parse(l) as { kind: string }).kind),
        ['node', 'node', 'edge'],
      );
      const row = await t.deps.db
        .selectFrom('signals_callgraphs')
        .selectAll()
        .where('graph_id', '=', manifest.graphId)
        .executeTakeFirstOrThrow();
      assert.equal(row.form, 'stella.callgraph.v1');
      assert.equal(row.raw_digest, sha256Digest(text));
      const metaBytes = await t.app.blobs.get(
        `callgraphs/acme/${manifest.graphId}.meta.json` as CasKey,
        row.meta_digest as `sha256:${string}`,
      );
      const meta = JSON.parse(metaBytes.toString('utf8')) as { meta: { scanKey: string }; rawDigest: string };
      assert.equal(meta.meta.scanKey, 'scan-42');
      assert.equal(meta.rawDigest, sha256Digest(text));
    });

    it(
      'access §3.2: scanner-worker writes but reads nothing; policy-engine reads but cannot write; other tenants get 404',
      { skip },
      async () => {
        await assert.rejects(service.getCallgraph(scanner, stored.graphId), rejectsWith('E_FORBIDDEN', 403));
        await assert.rejects(service.getManifest(scanner, stored.graphId), rejectsWith('E_FORBIDDEN', 403));
        await assert.rejects(service.findByPurl(scanner, PURL, {}), rejectsWith('E_FORBIDDEN', 403));
        await assert.rejects(service.storeCallgraph(policy, query(), bodyOf(GRAPH), 'ndjson'), rejectsWith('E_FORBIDDEN', 403));
        await assert.rejects(service.getCallgraph(otherPolicy, stored.graphId), rejectsWith('E_NOT_FOUND', 404));
        await assert.rejects(service.getManifestEnvelope(otherPolicy, stored.graphId), rejectsWith('E_NOT_FOUND', 404));
        assert.deepEqual((await service.findByPurl(otherPolicy, PURL, {})).items, []);
        assert.deepEqual((await service.findByPurl(policy, PURL, { tenant: 'other' })).items, []);
        await assert.rejects(service.getCallgraph(policy, ulidSource().next()), rejectsWith('E_NOT_FOUND', 404));
      },
    );

    it('§10 rules 1-5: each refused with its code and status before the body is read', { skip }, async () => {
      const cases: [Record<string, string>, ErrorCode, number, RegExp][] = [
        [{ graphId: 'not-a-ulid' }, 'E_INVALID_INPUT', 400, /graphId/],
        [{ digest: 'sha256:abc' }, 'E_INVALID_INPUT', 400, /digest/],
        [{ digest: 'md5:d41d8cd98f00b204e9800998ecf8427e' }, 'E_INVALID_INPUT', 400, /digest/],
        [{ language: 'klingon' }, 'E_INVALID_INPUT', 400, /language/],
        [{ componentPurl: 'not a purl' }, 'E_INVALID_INPUT', 400, /componentPurl/],
      ];
      for (const [over, code, status, pattern] of cases) {
        const body = tripwireBody(GRAPH);
        await assert.rejects(service.storeCallgraph(scanner, query(over), body.body, 'ndjson'), rejectsWith(code, status, pattern));
        assert.equal(body.read(), false, `${JSON.stringify(over)}: body untouched`);
      }
      const body = tripwireBody(GRAPH);
      await assert.rejects(
        service.storeCallgraph(admin, query({ tenant: 'no-such-tenant' }), body.body, 'ndjson'),
        rejectsWith('E_NOT_FOUND', 404, /no-such-tenant/),
      );
      assert.equal(body.read(), false);
    });

    it('§10 rule 2: a declared digest the body does not hash to is E_DIGEST_MISMATCH 422, nothing stored', { skip }, async () => {
      const graphId = ulidSource().next();
      await assert.rejects(
        service.storeCallgraph(scanner, query({ graphId, digest: sha256Digest('something else') }), bodyOf(GRAPH), 'ndjson'),
        rejectsWith('E_DIGEST_MISMATCH', 422),
      );
      await assert.rejects(service.getManifest(policy, graphId), rejectsWith('E_NOT_FOUND', 404));
      const ok = await service.storeCallgraph(scanner, query({ digest: sha256Digest(GRAPH) }), bodyOf(GRAPH), 'ndjson');
      assert.equal(ok.created, true);
    });

    it('a chosen graphId is idempotent: same upload → same manifest (created false); other content → E_CONFLICT', { skip }, async () => {
      const graphId = ulidSource().next();
      const first = await service.storeCallgraph(scanner, query({ graphId }), bodyOf(GRAPH), 'ndjson');
      assert.equal(first.created, true);
      assert.equal(first.manifest.graphId, graphId);
      const again = await service.storeCallgraph(scanner, query({ graphId: graphId.toLowerCase() }), bodyOf(GRAPH, 7), 'ndjson');
      assert.deepEqual(again, { manifest: first.manifest, created: false });
      const other = ndjsonCallgraph(2, [[0, 1]]);
      await assert.rejects(service.storeCallgraph(scanner, query({ graphId }), bodyOf(other), 'ndjson'), rejectsWith('E_CONFLICT', 409));
      await assert.rejects(
        service.storeCallgraph(scanner, query({ graphId, componentPurl: 'pkg:npm/other@1' }), bodyOf(GRAPH), 'ndjson'),
        rejectsWith('E_CONFLICT', 409),
      );
      assert.deepEqual(await service.getManifest(policy, graphId), first.manifest);
    });

    it('by PURL: with a version that version, without every version, newest first, paged, normalised, URL-encoded', { skip }, async () => {
      const name = `pkg:maven/org.example/lib${randomBytes(3).toString('hex')}`;
      const ids: string[] = [];
      for (const v of ['1.0', '2.0', '2.0']) {
        ids.push(
          (await service.storeCallgraph(scanner, query({ componentPurl: `${name}@${v}`, language: 'java' }), bodyOf(GRAPH), 'ndjson'))
            .manifest.graphId,
        );
      }
      await service.storeCallgraph(scanner, query({ componentPurl: `${name}x@2.0`, language: 'java' }), bodyOf(GRAPH), 'ndjson');
      const all = await service.findByPurl(policy, name, {});
      assert.deepEqual(
        all.items.map((m) => m.graphId),
        [...ids].reverse(),
      );
      assert.equal(all.next, undefined);
      const v2 = await service.findByPurl(policy, encodeURIComponent(`${name}@2.0`), {});
      assert.deepEqual(
        v2.items.map((m) => m.graphId),
        [ids[2], ids[1]],
      );
      const page1 = await service.findByPurl(policy, name, { limit: 2 });
      assert.equal(page1.items.length, 2);
      assert.ok(page1.next !== undefined);
      const page2 = await service.findByPurl(policy, name, { limit: 2, cursor: page1.next });
      assert.deepEqual(
        [...page1.items, ...page2.items].map((m) => m.graphId),
        [...ids].reverse(),
      );
      assert.equal(page2.next, undefined);
      // The scoped npm name matches whether its @ is encoded or not.
      const npm = await service.findByPurl(policy, 'pkg:npm/@acme/backend', { tenant: 'acme' });
      assert.ok(npm.items.some((m) => m.graphId === stored.graphId));
      assert.deepEqual(Object.keys(npm.items[0] as object), MANIFEST_FIELDS);
      await assert.rejects(service.findByPurl(policy, name, { cursor: 'garbage' }), rejectsWith('E_INVALID_INPUT', 400, /cursor/));
      await assert.rejects(service.findByPurl(policy, 'nonsense', {}), rejectsWith('E_INVALID_INPUT', 400));
    });

    it('after a signing key change, manifests signed by the earlier key still verify while the keyring holds it', { skip }, async () => {
      const keyId = `signals-signer-next-${randomBytes(3).toString('hex')}`;
      t.app.keyring.ensure(keyId, 'ecdsa-p256');
      const rotated = { ...t.deps, signer: t.app.keyring.signer(keyId), signerKeyId: keyId };
      assert.deepEqual(await new CallgraphService(rotated).getManifest(policy, stored.graphId), stored);
      await assert.rejects(
        new CallgraphService({ ...rotated, publicKeyOf: undefined }).getManifest(policy, stored.graphId),
        rejectsWith('E_INTEGRITY', 500, /does not hold/),
      );
    });

    it('§10 rule 7: a stored manifest whose signature no longer verifies is E_INTEGRITY 500 on read', { skip }, async () => {
      const { manifest } = await service.storeCallgraph(scanner, query(), bodyOf(GRAPH), 'ndjson');
      // Someone with write access to blobs and index changes what the manifest says, consistently.
      const forged = Buffer.from(JSON.stringify({ ...manifest, nodeCount: 5, rekorUuid: undefined }));
      await t.app.blobs.put(`manifests/${manifest.graphId}.json` as CasKey, forged);
      await t.deps.db
        .updateTable('signals_callgraphs')
        .set({ manifest_digest: sha256Digest(forged), node_count: 5 })
        .where('graph_id', '=', manifest.graphId)
        .execute();
      await assert.rejects(service.getManifest(policy, manifest.graphId), rejectsWith('E_INTEGRITY', 500, /signed envelope|signature/));
      await assert.rejects(service.getCallgraph(policy, manifest.graphId), rejectsWith('E_INTEGRITY', 500));
    });

    it('a signed manifest whose locker record is gone is E_INTEGRITY, not "no such graph"', { skip }, async () => {
      const { manifest } = await service.storeCallgraph(scanner, query(), bodyOf(GRAPH), 'ndjson');
      await t.deps.db.deleteFrom('evidence_blobs').where('evidence_id', '=', manifest.graphId).execute();
      await t.deps.db.deleteFrom('evidence').where('id', '=', manifest.graphId).execute();
      await assert.rejects(
        service.getManifest(policy, manifest.graphId),
        rejectsWith('E_INTEGRITY', 500, /missing from the evidence locker/),
      );
      await assert.rejects(service.getManifestEnvelope(policy, manifest.graphId), rejectsWith('E_INTEGRITY', 500));
    });

    it('stored content that no longer matches the manifest digest fails the stream with E_INTEGRITY', { skip }, async () => {
      const { manifest } = await service.storeCallgraph(scanner, query(), bodyOf(GRAPH), 'ndjson');
      const { zstdCompress } = await import('../../src/core/zstd.js');
      const swapped = zstdCompress(Buffer.from(await normalizedOf(ndjsonCallgraph(4, [[0, 1]]))));
      await t.app.blobs.put(`callgraphs/acme/${manifest.graphId}.ndjson.zst` as CasKey, swapped);
      await t.deps.db
        .updateTable('signals_callgraphs')
        .set({ content_digest: sha256Digest(swapped) })
        .where('graph_id', '=', manifest.graphId)
        .execute();
      const { content } = await service.getCallgraph(policy, manifest.graphId);
      await assert.rejects(readAll(content), rejectsWith('E_INTEGRITY', 500, /manifest digest/));
      // A blob changed behind the index's back is caught by the store's own digest check.
      await t.app.blobs.put(`callgraphs/acme/${manifest.graphId}.ndjson.zst` as CasKey, zstdCompress(Buffer.from('x')));
      const again = await service.getCallgraph(policy, manifest.graphId);
      await assert.rejects(readAll(again.content), rejectsWith('E_INTEGRITY', 500));
    });
  });
}
