/**
 * The one behavioural contract the index database must meet on every backend
 * (SQLite and PostgreSQL). Not a test file itself: index-sqlite.test.ts and
 * index-postgres.test.ts call `indexDatabaseContract`. Each test gets a
 * fresh, EMPTY (unmigrated) database from `open` and releases it afterwards.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { sql } from 'kysely';
import { issueToken, authenticate } from '../../src/authz/tokens.js';
import { ulidSource, type Clock, type IdSource } from '../../src/core/ids.js';
import type { IndexDatabase } from '../../src/store/db/connect.js';
import { EvidenceRepo, type EvidenceRecord, type EvidenceSubject } from '../../src/store/db/evidence-repo.js';
import { TrustedKeysRepo } from '../../src/store/db/keys-repo.js';
import { LATEST_MIGRATION } from '../../src/store/db/migrations.js';
import { TenantsRepo } from '../../src/store/db/tenants-repo.js';
import { TokensRepo } from '../../src/store/db/tokens-repo.js';
import { expectCode } from './blob-contract.js';

export interface OpenedIndex {
  /** A fresh database (file or schema) on which migrate() has NOT been run. */
  db: IndexDatabase;
  /**
   * A second, independent connection (handle/pool) to the SAME database file
   * or schema; the caller closes it. Used to race two migrators.
   */
  reopen(): Promise<IndexDatabase>;
  /** Closes `db` and removes the file/schema. */
  cleanup(): Promise<void>;
}

/** Every migration, in order: a fresh database gets all of them. */
const ALL_MIGRATIONS = [
  '0001_initial',
  '0002_transparency_log',
  '0003_timestamps',
  '0004_evidence_blobs',
  '0005_signals',
  '0006_reachability',
  '0007_ai',
  '0008_review',
];

const T0 = new Date('2030-01-02T03:04:05.000Z');
const fixedClock: Clock = { now: () => new Date(T0) };
const minutes = (n: number): Date => new Date(T0.getTime() + n * 60_000);

const digestOf = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;

async function countRows(
  db: IndexDatabase,
  table: 'evidence' | 'evidence_subjects' | 'tokens' | 'tenants' | 'trusted_keys',
): Promise<number> {
  const row = await db.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export function indexDatabaseContract(name: string, open: () => Promise<OpenedIndex>): void {
  describe(name, () => {
    describe('migrations', () => {
      let opened: OpenedIndex;
      beforeEach(async () => {
        opened = await open();
      });
      afterEach(async () => {
        await opened.cleanup();
      });

      it('applies every migration the first time and nothing the second time', async () => {
        const first = await opened.db.migrate();
        assert.deepEqual(first.applied, ALL_MIGRATIONS);
        assert.equal(first.current, LATEST_MIGRATION);
        // The tables really exist and are empty.
        for (const table of ['tenants', 'tokens', 'trusted_keys', 'evidence', 'evidence_subjects'] as const) {
          assert.equal(await countRows(opened.db, table), 0, table);
        }
        const second = await opened.db.migrate();
        assert.deepEqual(second.applied, []);
        assert.equal(second.current, LATEST_MIGRATION);
        const recorded = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(opened.db.db);
        assert.deepEqual(
          recorded.rows.map((r) => r.name),
          ALL_MIGRATIONS,
        );
      });

      it('two concurrent migrate() calls on two connections both succeed and apply the schema once', async () => {
        const other = await opened.reopen();
        try {
          const [a, b] = await Promise.all([opened.db.migrate(), other.migrate()]);
          assert.equal(a.current, LATEST_MIGRATION);
          assert.equal(b.current, LATEST_MIGRATION);
          // Exactly one of them applied it.
          assert.deepEqual([...a.applied, ...b.applied], ALL_MIGRATIONS);
          const recorded = await sql<{ name: string }>`select name from kysely_migration`.execute(other.db);
          assert.deepEqual(
            recorded.rows.map((r) => r.name),
            ALL_MIGRATIONS,
          );
          // Both connections see the same, working schema.
          await new TenantsRepo(other.db).add('acme', null, T0);
          assert.deepEqual(
            (await new TenantsRepo(opened.db.db).list()).map((t) => t.id),
            ['acme'],
          );
        } finally {
          await other.close();
        }
      });
    });

    describe('repositories', () => {
      let opened: OpenedIndex;
      let tenants: TenantsRepo;
      let tokens: TokensRepo;
      let keys: TrustedKeysRepo;
      let evidence: EvidenceRepo;
      let ids: IdSource;
      beforeEach(async () => {
        opened = await open();
        await opened.db.migrate();
        const db = opened.db.db;
        tenants = new TenantsRepo(db);
        tokens = new TokensRepo(db);
        keys = new TrustedKeysRepo(db);
        evidence = new EvidenceRepo(db);
        ids = ulidSource();
      });
      afterEach(async () => {
        await opened.cleanup();
      });

      // ---------------------------------------------------------------- tenants

      describe('TenantsRepo', () => {
        it('add / list / get', async () => {
          const added = await tenants.add('zeta', 'Zeta Corp', T0);
          assert.deepEqual(added, { id: 'zeta', displayName: 'Zeta Corp', createdAt: T0.toISOString() });
          await tenants.add('acme', null, minutes(1));
          assert.deepEqual(await tenants.list(), [
            { id: 'acme', displayName: null, createdAt: minutes(1).toISOString() },
            { id: 'zeta', displayName: 'Zeta Corp', createdAt: T0.toISOString() },
          ]);
          assert.deepEqual(await tenants.get('zeta'), added);
          assert.equal(await tenants.get('nobody'), undefined);
        });

        it('a duplicate id is E_CONFLICT and changes nothing', async () => {
          await tenants.add('acme', 'first', T0);
          const err = await expectCode(tenants.add('acme', 'second', minutes(5)), 'E_CONFLICT');
          assert.match(err.message, /acme/);
          assert.deepEqual(await tenants.list(), [{ id: 'acme', displayName: 'first', createdAt: T0.toISOString() }]);
        });

        it('an invalid id is E_INVALID_INPUT and stores nothing', async () => {
          for (const bad of ['Bad Tenant!', '', '../etc', '-leading', 'UPPER']) {
            await expectCode(tenants.add(bad, null, T0), 'E_INVALID_INPUT');
          }
          assert.deepEqual(await tenants.list(), []);
        });

        it('requireAll passes for known tenants and names every missing one', async () => {
          await tenants.add('acme', null, T0);
          await tenants.add('globex', null, T0);
          await tenants.requireAll([]);
          await tenants.requireAll(['acme', 'globex']);
          const one = await expectCode(tenants.requireAll(['acme', 'ghost-one']), 'E_NOT_FOUND');
          assert.match(one.message, /ghost-one/);
          const two = await expectCode(tenants.requireAll(['ghost-one', 'acme', 'ghost-two', 'globex']), 'E_NOT_FOUND');
          assert.match(two.message, /ghost-one/);
          assert.match(two.message, /ghost-two/);
          assert.doesNotMatch(two.message, /acme|globex/);
        });
      });

      // ----------------------------------------------------------------- tokens

      describe('TokensRepo with issueToken / authenticate', () => {
        const issue = (principal: string, tenantIds: string[], extra: { label?: string; expiresAt?: Date } = {}) =>
          issueToken({ tokens, tenants }, { principal, tenants: tenantIds, ...extra }, { clock: fixedClock, ids });

        beforeEach(async () => {
          await tenants.add('acme', null, T0);
          await tenants.add('globex', null, T0);
        });

        it('a bearer token round-trips to its principal, role and tenants', async () => {
          const issued = await issue('signals-service', ['globex', 'acme', 'acme'], { label: 'ci' });
          assert.match(issued.token, /^atr_[0-9A-HJKMNP-TV-Z]{26}_[A-Za-z0-9_-]{43}$/);
          assert.deepEqual(issued.record.tenants, ['acme', 'globex']);
          assert.equal(issued.record.createdAt, T0.toISOString());
          const principal = await authenticate(tokens, `Bearer ${issued.token}`, minutes(1));
          assert.deepEqual(principal, { tokenId: issued.record.id, role: 'signals-service', tenants: ['acme', 'globex'] });
          // The scheme name is case-insensitive.
          assert.equal((await authenticate(tokens, `bearer ${issued.token}`, minutes(1))).tokenId, issued.record.id);
          // The stored record matches what issueToken returned.
          assert.deepEqual(await tokens.get(issued.record.id), issued.record);
          assert.deepEqual(await tokens.list(), [issued.record]);
        });

        it('a wrong secret, a malformed header or a missing header is E_UNAUTHENTICATED', async () => {
          const issued = await issue('policy-engine', ['acme']);
          const id = issued.record.id;
          const secret = issued.token.slice(`atr_${id}_`.length);
          const wrongSecret = `atr_${id}_${secret[0] === 'A' ? 'B' : 'A'}${secret.slice(1)}`;
          const invalid = await expectCode(authenticate(tokens, `Bearer ${wrongSecret}`, T0), 'E_UNAUTHENTICATED');
          assert.match(invalid.message, /invalid/);
          // A well-formed token whose id does not exist.
          const unknownId = `atr_${ids.next()}_${secret}`;
          await expectCode(authenticate(tokens, `Bearer ${unknownId}`, T0), 'E_UNAUTHENTICATED');
          for (const header of [
            `Basic ${issued.token}`,
            issued.token,
            'Bearer',
            'Bearer not-a-token',
            `Bearer ${issued.token} extra`,
            `Bearer ${issued.token}x`,
          ]) {
            await expectCode(authenticate(tokens, header, T0), 'E_UNAUTHENTICATED');
          }
          const missing = await expectCode(authenticate(tokens, undefined, T0), 'E_UNAUTHENTICATED');
          assert.match(missing.message, /missing/);
          await expectCode(authenticate(tokens, '', T0), 'E_UNAUTHENTICATED');
        });

        it('a revoked token is E_UNAUTHENTICATED saying revoked', async () => {
          const issued = await issue('audit-service', ['acme']);
          await authenticate(tokens, `Bearer ${issued.token}`, T0);
          await tokens.revoke(issued.record.id, minutes(2));
          assert.equal((await tokens.get(issued.record.id))?.revokedAt, minutes(2).toISOString());
          const err = await expectCode(authenticate(tokens, `Bearer ${issued.token}`, minutes(3)), 'E_UNAUTHENTICATED');
          assert.match(err.message, /revoked/);
          // Revoking again is harmless and keeps the first time; an unknown id is E_NOT_FOUND.
          await tokens.revoke(issued.record.id, minutes(9));
          assert.equal((await tokens.get(issued.record.id))?.revokedAt, minutes(2).toISOString());
          await expectCode(tokens.revoke(ids.next(), T0), 'E_NOT_FOUND');
        });

        it('an expired token is E_UNAUTHENTICATED saying expired', async () => {
          const issued = await issue('reviewer', ['acme'], { expiresAt: minutes(60) });
          assert.equal(issued.record.expiresAt, minutes(60).toISOString());
          assert.equal((await authenticate(tokens, `Bearer ${issued.token}`, minutes(59))).role, 'reviewer');
          const atExpiry = await expectCode(authenticate(tokens, `Bearer ${issued.token}`, minutes(60)), 'E_UNAUTHENTICATED');
          assert.match(atExpiry.message, /expired/);
          const later = await expectCode(authenticate(tokens, `Bearer ${issued.token}`, minutes(120)), 'E_UNAUTHENTICATED');
          assert.match(later.message, /expired/);
          // An expiry that is not in the future is refused at issue time.
          await expectCode(issue('reviewer', ['acme'], { expiresAt: T0 }), 'E_INVALID_INPUT');
        });

        it('stores only a hash: the token (and its secret) appear nowhere in the tokens table', async () => {
          const issued = await issue('scanner-worker', ['acme'], { label: 'scanner' });
          const secret = issued.token.slice(`atr_${issued.record.id}_`.length);
          assert.notEqual(issued.record.secretHash, issued.token);
          assert.notEqual(issued.record.secretHash, secret);
          assert.match(issued.record.secretHash, /^[0-9a-f]{64}$/);
          assert.equal(issued.record.secretHash, createHash('sha256').update(secret).digest('hex'));
          const rows = await opened.db.db.selectFrom('tokens').selectAll().execute();
          assert.equal(rows.length, 1);
          const values = Object.values(rows[0] as Record<string, unknown>).map((v) => String(v));
          assert.ok(values.includes(issued.record.secretHash), 'the hash is stored');
          for (const v of values) {
            assert.ok(!v.includes(issued.token), `token found in a column value: ${v}`);
            assert.ok(!v.includes(secret), `token secret found in a column value: ${v}`);
          }
        });

        it('only admin may act for every tenant (*)', async () => {
          const err = await expectCode(issue('signals-service', ['*']), 'E_INVALID_INPUT');
          assert.match(err.message, /admin/);
          await expectCode(issue('policy-engine', ['acme', '*']), 'E_INVALID_INPUT');
          await expectCode(issue('reviewer', []), 'E_INVALID_INPUT');
          assert.equal(await countRows(opened.db, 'tokens'), 0);
          const admin = await issue('admin', ['*']);
          assert.deepEqual(admin.record.tenants, ['*']);
          assert.equal((await authenticate(tokens, `Bearer ${admin.token}`, T0)).tenants, '*');
        });

        it('an unknown tenant is rejected naming it', async () => {
          const err = await expectCode(issue('signals-service', ['acme', 'nowhere']), 'E_NOT_FOUND');
          assert.match(err.message, /nowhere/);
          await expectCode(issue('signals-service', ['Not Valid']), 'E_INVALID_INPUT');
          await expectCode(issue('no-such-role', ['acme']), 'E_INVALID_INPUT');
          assert.equal(await countRows(opened.db, 'tokens'), 0);
        });

        it('an admin token with no tenants acts for every tenant', async () => {
          const issued = await issue('admin', []);
          assert.deepEqual(issued.record.tenants, ['*']);
          const principal = await authenticate(tokens, `Bearer ${issued.token}`, T0);
          assert.deepEqual(principal, { tokenId: issued.record.id, role: 'admin', tenants: '*' });
        });
      });

      // ------------------------------------------------------------ trusted keys

      describe('TrustedKeysRepo', () => {
        const key = (tenant: string, keyId: string) => ({
          tenant,
          keyId,
          algorithm: 'ecdsa-p256',
          publicKeyPem: `-----BEGIN PUBLIC KEY-----\n${keyId}\n-----END PUBLIC KEY-----\n`,
          fingerprint: `fp-${tenant}-${keyId}`,
          hint: createHash('sha256').update(`${tenant}/${keyId}`).digest('hex'),
          createdAt: T0.toISOString(),
        });

        beforeEach(async () => {
          await tenants.add('acme', null, T0);
          await tenants.add('globex', null, T0);
        });

        it('add / active / list / revoke', async () => {
          await keys.add(key('acme', 'k2'));
          await keys.add(key('acme', 'k1'));
          await keys.add(key('globex', 'k1'));
          assert.deepEqual(await keys.active('acme'), [
            { ...key('acme', 'k1'), revokedAt: null },
            { ...key('acme', 'k2'), revokedAt: null },
          ]);
          assert.deepEqual(
            (await keys.list()).map((k) => `${k.tenant}/${k.keyId}`),
            ['acme/k1', 'acme/k2', 'globex/k1'],
          );
          assert.deepEqual(
            (await keys.list('globex')).map((k) => `${k.tenant}/${k.keyId}`),
            ['globex/k1'],
          );

          await keys.revoke('acme', 'k1', minutes(5));
          // Revoked keys leave active() but stay listed, with the revocation time.
          assert.deepEqual(
            (await keys.active('acme')).map((k) => k.keyId),
            ['k2'],
          );
          const listed = await keys.list('acme');
          assert.deepEqual(
            listed.map((k) => [k.keyId, k.revokedAt]),
            [
              ['k1', minutes(5).toISOString()],
              ['k2', null],
            ],
          );
          // The same key id in another tenant is untouched.
          assert.deepEqual(
            (await keys.active('globex')).map((k) => k.keyId),
            ['k1'],
          );
          assert.deepEqual(await keys.active('nobody'), []);
        });

        it('a duplicate (tenant, keyId) is E_CONFLICT', async () => {
          await keys.add(key('acme', 'k1'));
          const err = await expectCode(keys.add({ ...key('acme', 'k1'), fingerprint: 'other' }), 'E_CONFLICT');
          assert.match(err.message, /k1/);
          assert.equal((await keys.list('acme'))[0]?.fingerprint, 'fp-acme-k1');
          assert.equal(await countRows(opened.db, 'trusted_keys'), 1);
        });

        it('revoking an unknown key is E_NOT_FOUND', async () => {
          await keys.add(key('acme', 'k1'));
          await expectCode(keys.revoke('acme', 'nope', T0), 'E_NOT_FOUND');
          await expectCode(keys.revoke('globex', 'k1', T0), 'E_NOT_FOUND');
          assert.equal((await keys.active('acme')).length, 1);
        });
      });

      // --------------------------------------------------------------- evidence

      describe('EvidenceRepo', () => {
        const record = (
          tenant: string,
          content: string,
          opts: { kind?: string; subjects?: EvidenceSubject[]; id?: string } = {},
        ): EvidenceRecord => {
          const id = opts.id ?? ids.next();
          return {
            id,
            tenant,
            kind: opts.kind ?? 'callgraphs',
            mediaType: 'application/json',
            payloadType: 'application/vnd.in-toto+json',
            predicateType: opts.kind === 'attestations' ? 'https://slsa.dev/provenance/v1' : null,
            blobKey: `callgraphs/${tenant}/${id}.meta.json`,
            digest: digestOf(content),
            size: content.length,
            principal: 'signals-service',
            signerKeyId: 'k1',
            createdAt: T0.toISOString(),
            subjects: opts.subjects ?? [],
          };
        };
        // A stored row carries its subjects, sorted by digest.
        const row = (r: EvidenceRecord): EvidenceRecord => ({
          ...r,
          logIndex: null,
          subjects: [...r.subjects].sort((a, b) => a.digest.localeCompare(b.digest)),
        });
        const SUBJECT = digestOf('the artifact');

        beforeEach(async () => {
          await tenants.add('acme', null, T0);
          await tenants.add('globex', null, T0);
        });

        it('insertBatch stores several records in one call, each created', async () => {
          const batch = [
            record('acme', 'one', { subjects: [{ digest: SUBJECT, name: 'app.jar' }] }),
            record('acme', 'two', { kind: 'attestations' }),
            record('globex', 'three'),
          ];
          const outcomes = await evidence.insertBatch(batch);
          assert.deepEqual(
            outcomes,
            batch.map((r) => ({ id: r.id, created: true, logIndex: null })),
          );
          for (const r of batch) assert.deepEqual(await evidence.get(r.id), row(r));
          assert.deepEqual(await evidence.findByDigest('acme', digestOf('two')), row(batch[1] as EvidenceRecord));
          assert.equal(await evidence.findByDigest('globex', digestOf('two')), undefined);
          assert.equal(await countRows(opened.db, 'evidence'), 3);
          assert.deepEqual(await evidence.insertBatch([]), []);
        });

        it('re-inserting the same (tenant, digest) under a new id returns the original id and adds no row', async () => {
          const original = record('acme', 'same bytes', { subjects: [{ digest: SUBJECT, name: 'a' }] });
          assert.deepEqual(await evidence.insertBatch([original]), [{ id: original.id, created: true, logIndex: null }]);
          const retry = record('acme', 'same bytes', { subjects: [{ digest: digestOf('another subject'), name: 'b' }] });
          assert.notEqual(retry.id, original.id);
          assert.deepEqual(await evidence.insertBatch([retry]), [{ id: original.id, created: false, logIndex: null }]);
          assert.equal(await countRows(opened.db, 'evidence'), 1);
          assert.equal(await evidence.get(retry.id), undefined);
          // The retry's subjects were not attached to anything.
          assert.deepEqual(await evidence.subjects(original.id), [{ digest: SUBJECT, name: 'a' }]);
          assert.deepEqual(await evidence.subjects(retry.id), []);
          assert.equal(await countRows(opened.db, 'evidence_subjects'), 1);
        });

        it('a duplicate inside one batch resolves to the first record of the batch', async () => {
          const first = record('acme', 'dup');
          const second = record('acme', 'dup');
          const other = record('acme', 'not dup');
          assert.deepEqual(await evidence.insertBatch([first, second, other]), [
            { id: first.id, created: true, logIndex: null },
            { id: first.id, created: false, logIndex: null },
            { id: other.id, created: true, logIndex: null },
          ]);
          assert.equal(await countRows(opened.db, 'evidence'), 2);
        });

        it('the same digest in another tenant is a separate row', async () => {
          const a = record('acme', 'shared bytes');
          const g = record('globex', 'shared bytes');
          assert.deepEqual(await evidence.insertBatch([a]), [{ id: a.id, created: true, logIndex: null }]);
          assert.deepEqual(await evidence.insertBatch([g]), [{ id: g.id, created: true, logIndex: null }]);
          assert.equal(await countRows(opened.db, 'evidence'), 2);
          assert.equal((await evidence.findByDigest('acme', a.digest))?.id, a.id);
          assert.equal((await evidence.findByDigest('globex', g.digest))?.id, g.id);
        });

        it('stores subjects and returns them by evidence id', async () => {
          const subjects = [
            { digest: digestOf('z-subject'), name: 'z.bin' },
            { digest: digestOf('a-subject'), name: null },
            { digest: SUBJECT, name: 'app.jar' },
          ];
          const r = record('acme', 'with subjects', { subjects });
          const bare = record('acme', 'without subjects');
          await evidence.insertBatch([r, bare]);
          const got = await evidence.subjects(r.id);
          assert.deepEqual(
            [...got].sort((x, y) => x.digest.localeCompare(y.digest)),
            [...subjects].sort((x, y) => x.digest.localeCompare(y.digest)),
          );
          // Ordered by digest.
          assert.deepEqual(
            got.map((s) => s.digest),
            subjects.map((s) => s.digest).sort(),
          );
          assert.deepEqual(await evidence.subjects(bare.id), []);
          const stored = await opened.db.db.selectFrom('evidence_subjects').selectAll().where('evidence_id', '=', r.id).execute();
          assert.ok(stored.every((s) => s.tenant === 'acme'));
        });

        it('get() of an unknown id is undefined', async () => {
          await evidence.insertBatch([record('acme', 'something')]);
          assert.equal(await evidence.get(ids.next()), undefined);
          assert.equal(await evidence.findByDigest('acme', digestOf('nothing')), undefined);
        });

        it('findBySubject filters by tenants, by *, by kinds, and paginates in id order', async () => {
          const on = [{ digest: SUBJECT, name: 'app.jar' }];
          const a1 = record('acme', 'a1', { subjects: on, kind: 'callgraphs' });
          const a2 = record('acme', 'a2', { subjects: on, kind: 'attestations' });
          const g1 = record('globex', 'g1', { subjects: on, kind: 'callgraphs' });
          const a3 = record('acme', 'a3', { subjects: on, kind: 'callgraphs' });
          const offSubject = record('acme', 'off', { subjects: [{ digest: digestOf('other artifact'), name: null }] });
          const a4 = record('acme', 'a4', { subjects: on, kind: 'model-signatures' });
          const g2 = record('globex', 'g2', { subjects: on, kind: 'attestations' });
          // Inserted out of id order and over several batches: results must still come in id order.
          await evidence.insertBatch([a3, g2, offSubject]);
          await evidence.insertBatch([a1, g1]);
          await evidence.insertBatch([a4, a2]);
          const allKinds = ['callgraphs', 'attestations', 'model-signatures'];
          const idsOf = (rows: { id: string }[]) => rows.map((r) => r.id);

          assert.deepEqual(idsOf(await evidence.findBySubject({ digest: SUBJECT, tenants: ['acme'], kinds: allKinds, limit: 100 })), [
            a1.id,
            a2.id,
            a3.id,
            a4.id,
          ]);
          assert.deepEqual(idsOf(await evidence.findBySubject({ digest: SUBJECT, tenants: ['globex'], kinds: allKinds, limit: 100 })), [
            g1.id,
            g2.id,
          ]);
          assert.deepEqual(idsOf(await evidence.findBySubject({ digest: SUBJECT, tenants: '*', kinds: allKinds, limit: 100 })), [
            a1.id,
            a2.id,
            g1.id,
            a3.id,
            a4.id,
            g2.id,
          ]);
          assert.deepEqual(
            idsOf(await evidence.findBySubject({ digest: SUBJECT, tenants: ['acme', 'globex'], kinds: allKinds, limit: 100 })),
            [a1.id, a2.id, g1.id, a3.id, a4.id, g2.id],
          );
          assert.deepEqual(idsOf(await evidence.findBySubject({ digest: SUBJECT, tenants: '*', kinds: ['callgraphs'], limit: 100 })), [
            a1.id,
            g1.id,
            a3.id,
          ]);
          assert.deepEqual(
            idsOf(
              await evidence.findBySubject({ digest: SUBJECT, tenants: ['acme'], kinds: ['attestations', 'model-signatures'], limit: 100 }),
            ),
            [a2.id, a4.id],
          );
          assert.deepEqual(await evidence.findBySubject({ digest: SUBJECT, tenants: [], kinds: allKinds, limit: 100 }), []);
          assert.deepEqual(await evidence.findBySubject({ digest: SUBJECT, tenants: '*', kinds: [], limit: 100 }), []);
          assert.deepEqual(await evidence.findBySubject({ digest: SUBJECT, tenants: ['nobody'], kinds: allKinds, limit: 100 }), []);
          assert.deepEqual(await evidence.findBySubject({ digest: digestOf('unknown'), tenants: '*', kinds: allKinds, limit: 100 }), []);
          assert.deepEqual(
            idsOf(await evidence.findBySubject({ digest: digestOf('other artifact'), tenants: '*', kinds: allKinds, limit: 100 })),
            [offSubject.id],
          );
          // Full rows come back.
          assert.deepEqual(await evidence.findBySubject({ digest: SUBJECT, tenants: ['globex'], kinds: ['attestations'], limit: 10 }), [
            row(g2),
          ]);

          // Pagination with `after` + limit, in id order.
          const pages: string[][] = [];
          let after: string | undefined;
          for (;;) {
            const page = await evidence.findBySubject({ digest: SUBJECT, tenants: '*', kinds: allKinds, after, limit: 4 });
            if (page.length === 0) break;
            pages.push(idsOf(page));
            after = page.at(-1)?.id;
          }
          assert.deepEqual(pages, [
            [a1.id, a2.id, g1.id, a3.id],
            [a4.id, g2.id],
          ]);
          assert.deepEqual(
            idsOf(await evidence.findBySubject({ digest: SUBJECT, tenants: ['acme'], kinds: allKinds, after: a1.id, limit: 2 })),
            [a2.id, a3.id],
          );
          assert.deepEqual(
            idsOf(await evidence.findBySubject({ digest: SUBJECT, tenants: ['acme'], kinds: allKinds, after: a4.id, limit: 2 })),
            [],
          );
        });

        it('a batch in which one record violates a foreign key rolls back entirely (one transaction per batch)', async () => {
          const before = record('acme', 'already there');
          await evidence.insertBatch([before]);
          const good1 = record('acme', 'good one', { subjects: [{ digest: SUBJECT, name: 'x' }] });
          const good2 = record('globex', 'good two');
          const bad = record('no-such-tenant', 'bad');
          const good3 = record('acme', 'good three');
          await assert.rejects(evidence.insertBatch([good1, good2, bad, good3]));
          for (const r of [good1, good2, bad, good3])
            assert.equal(await evidence.get(r.id), undefined, `row ${r.id} survived the rollback`);
          assert.deepEqual(await evidence.subjects(good1.id), []);
          assert.equal(await countRows(opened.db, 'evidence'), 1);
          assert.equal(await countRows(opened.db, 'evidence_subjects'), 0);
          assert.deepEqual(await evidence.get(before.id), row(before));
          // The connection is usable afterwards and the same good records can be stored.
          const retried = await evidence.insertBatch([good1, good2, good3]);
          assert.deepEqual(
            retried.map((o) => o.created),
            [true, true, true],
          );
          assert.equal(await countRows(opened.db, 'evidence'), 4);
        });

        it('50 concurrent insertBatch calls of one record each all land', async () => {
          const records = Array.from({ length: 50 }, (_, i) =>
            record(i % 2 === 0 ? 'acme' : 'globex', `concurrent ${i}`, { subjects: [{ digest: SUBJECT, name: `n${i}` }] }),
          );
          const outcomes = await Promise.all(records.map((r) => evidence.insertBatch([r])));
          assert.deepEqual(
            outcomes,
            records.map((r) => [{ id: r.id, created: true, logIndex: null }]),
          );
          assert.equal(await countRows(opened.db, 'evidence'), 50);
          assert.equal(await countRows(opened.db, 'evidence_subjects'), 50);
          const found = await evidence.findBySubject({ digest: SUBJECT, tenants: '*', kinds: ['callgraphs'], limit: 1000 });
          assert.deepEqual(
            found.map((r) => r.id),
            records.map((r) => r.id).sort(),
          );
        });
      });
    });
  });
}
