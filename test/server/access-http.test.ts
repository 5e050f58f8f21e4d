/**
 * The access matrix enforced over HTTP, for every role × every evidence kind
 * reachable through POST /api/v1/attestations: write (201 / 403), read by id
 * (200 / 403), cross-tenant read (always 404) and find by subject (only the
 * readable kinds, only the token's tenants; 403 for a role that reads nothing).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { can, kindsAllowed, ROLES, type Role } from '../../src/authz/access-matrix.js';
import type { Signer } from '../../src/crypto/signer.js';
import { isRecord } from '../helpers/model.js';
import { PREDICATE_FOR_KIND, signedStatement, startTestServer, type TestServer } from '../helpers/server.js';

const HTTP_KINDS = Object.keys(PREDICATE_FOR_KIND) as (keyof typeof PREDICATE_FOR_KIND)[];
type HttpKind = (typeof HTTP_KINDS)[number];
const TENANTS = ['t1', 't2'] as const;
type Tenant = (typeof TENANTS)[number];

let srv: TestServer;
let adminToken: string;
const signers = {} as Record<Tenant, Signer>;
/** Evidence stored up front by admin: one of every kind in each tenant, all about SUBJECT. */
const stored = { t1: {}, t2: {} } as Record<Tenant, Record<HttpKind, string>>;
/** Per role: a token for t1 only, one for t2 only, one for both. */
const tokens = {} as Record<Role, { t1: string; t2: string; both: string }>;
const SUBJECT = randomBytes(32).toString('hex');

const randomHex = (): string => randomBytes(32).toString('hex');

function body(r: { json: unknown; text: string }): Record<string, unknown> {
  assert.ok(isRecord(r.json), `reply is not a JSON object: ${r.text.slice(0, 300)}`);
  return r.json;
}

function expectError(r: { status: number; json: unknown; text: string }, status: number, code: string): void {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status}: ${r.text.slice(0, 300)}`);
  assert.equal(body(r)['code'], code);
  assert.equal(typeof body(r)['message'], 'string');
}

async function findIds(
  token: string,
  query: string,
): Promise<{ status: number; ids: string[]; items: Record<string, unknown>[]; text: string; json: unknown }> {
  const r = await srv.request('GET', `/api/v1/attestations?subject=sha256:${SUBJECT}${query}`, { token });
  if (r.status !== 200) return { status: r.status, ids: [], items: [], text: r.text, json: r.json };
  const items = body(r)['items'];
  assert.ok(Array.isArray(items), r.text);
  const recs = items.map((i) => {
    assert.ok(isRecord(i));
    return i;
  });
  return { status: r.status, ids: recs.map((i) => String(i['id'])).sort(), items: recs, text: r.text, json: r.json };
}

before(async () => {
  srv = await startTestServer();
  for (const t of TENANTS) {
    await srv.addTenant(t);
    signers[t] = await srv.trustNewKey(t, `key-${t}`);
  }
  adminToken = await srv.token('admin', ['*']);
  for (const t of TENANTS) {
    for (const kind of HTTP_KINDS) {
      const r = await srv.request('POST', `/api/v1/attestations?tenant=${t}`, {
        token: adminToken,
        body: signedStatement(signers[t], SUBJECT, PREDICATE_FOR_KIND[kind]),
      });
      assert.equal(r.status, 201, r.text);
      assert.equal(body(r)['kind'], kind, `predicate ${PREDICATE_FOR_KIND[kind]} is classified as ${kind}`);
      assert.equal(body(r)['tenant'], t);
      stored[t][kind] = String(body(r)['id']);
    }
  }
  for (const role of ROLES) {
    tokens[role] = { t1: await srv.token(role, ['t1']), t2: await srv.token(role, ['t2']), both: await srv.token(role, ['t1', 't2']) };
  }
});

after(async () => {
  await srv?.stop();
});

describe('POST /api/v1/attestations as each role', () => {
  for (const role of ROLES) {
    for (const kind of HTTP_KINDS) {
      const allowed = can(role, kind, 'write');
      test(`${role} writes ${kind} to its tenant → ${allowed ? '201' : '403'}`, async () => {
        const subject = randomHex();
        const r = await srv.request('POST', '/api/v1/attestations', {
          token: tokens[role].t1,
          body: signedStatement(signers.t1, subject, PREDICATE_FOR_KIND[kind]),
        });
        if (allowed) {
          assert.equal(r.status, 201, r.text);
          const b = body(r);
          assert.equal(b['kind'], kind);
          assert.equal(b['tenant'], 't1');
          assert.equal(b['created'], true);
          assert.equal(r.headers.get('location'), `/api/v1/attestations/${String(b['id'])}`);
        } else {
          expectError(r, 403, 'E_FORBIDDEN');
          assert.match(String(body(r)['message']), new RegExp(`${role}.*write.*${kind}`));
        }
        // Whatever the reply, the index agrees with it.
        const found = await srv.request('GET', `/api/v1/attestations?subject=sha256:${subject}`, { token: adminToken });
        assert.equal(found.status, 200, found.text);
        const items = body(found)['items'] as unknown[];
        assert.equal(items.length, allowed ? 1 : 0, `stored objects about the new subject: ${found.text}`);
      });
    }
  }
});

describe('GET /api/v1/attestations/:id as each role', () => {
  for (const role of ROLES) {
    for (const kind of HTTP_KINDS) {
      const allowed = can(role, kind, 'read');
      test(`${role} reads ${kind} in its tenant → ${allowed ? '200' : '403'}`, async () => {
        const id = stored.t1[kind];
        const r = await srv.request('GET', `/api/v1/attestations/${id}`, { token: tokens[role].t1 });
        const raw = await srv.request('GET', `/api/v1/attestations/${id}/raw`, { token: tokens[role].t1 });
        if (allowed) {
          assert.equal(r.status, 200, r.text);
          const b = body(r);
          assert.equal(b['id'], id);
          const meta = b['meta'];
          assert.ok(isRecord(meta));
          assert.equal(meta['kind'], kind);
          assert.equal(meta['tenant'], 't1');
          assert.equal(typeof b['payload'], 'string');
          assert.equal(raw.status, 200, raw.text);
          assert.ok(isRecord(raw.json) && typeof raw.json['payload'] === 'string', 'raw returns the uploaded envelope');
        } else {
          expectError(r, 403, 'E_FORBIDDEN');
          expectError(raw, 403, 'E_FORBIDDEN');
          assert.ok(!r.text.includes('payload"'), 'a forbidden reply carries no evidence');
        }
      });

      test(`${role} reads ${kind} of another tenant → 404`, async () => {
        const id = stored.t1[kind];
        const r = await srv.request('GET', `/api/v1/attestations/${id}`, { token: tokens[role].t2 });
        expectError(r, 404, 'E_NOT_FOUND');
        const raw = await srv.request('GET', `/api/v1/attestations/${id}/raw`, { token: tokens[role].t2 });
        expectError(raw, 404, 'E_NOT_FOUND');
        // Same reply as for an id that does not exist at all.
        const missing = await srv.request('GET', '/api/v1/attestations/01ARZ3NDEKTSV4RRFFQ69G5FAV', { token: tokens[role].t2 });
        expectError(missing, 404, 'E_NOT_FOUND');
        // The token's own copy in t2 behaves as in t1.
        const own = await srv.request('GET', `/api/v1/attestations/${stored.t2[kind]}`, { token: tokens[role].t2 });
        assert.equal(own.status, can(role, kind, 'read') ? 200 : 403, own.text);
      });
    }
  }
});

describe('GET /api/v1/attestations?subject= as each role', () => {
  for (const role of ROLES) {
    const readable = HTTP_KINDS.filter((k) => can(role, k, 'read'));
    const readsNothing = kindsAllowed(role, 'read').length === 0;
    test(`${role} finds ${readsNothing ? '→ 403' : readable.join(', ') || 'nothing'} in its tenants only`, async () => {
      const inT1 = await findIds(tokens[role].t1, '');
      if (readsNothing) {
        assert.equal(inT1.status, 403, inT1.text);
        assert.ok(isRecord(inT1.json) && inT1.json['code'] === 'E_FORBIDDEN', inT1.text);
        const both = await findIds(tokens[role].both, '');
        assert.equal(both.status, 403, both.text);
        return;
      }
      assert.equal(inT1.status, 200, inT1.text);
      assert.deepEqual(inT1.ids, readable.map((k) => stored.t1[k]).sort());
      for (const item of inT1.items) {
        assert.equal(item['tenant'], 't1');
        assert.ok(readable.includes(item['kind'] as HttpKind), `kind ${String(item['kind'])} is readable by ${role}`);
      }

      const inT2 = await findIds(tokens[role].t2, '');
      assert.equal(inT2.status, 200, inT2.text);
      assert.deepEqual(inT2.ids, readable.map((k) => stored.t2[k]).sort());

      // Asking for a tenant outside the token's reach yields nothing (not the other tenant's data).
      const foreign = await findIds(tokens[role].t1, '&tenant=t2');
      assert.equal(foreign.status, 200, foreign.text);
      assert.deepEqual(foreign.ids, []);

      const both = await findIds(tokens[role].both, '');
      assert.equal(both.status, 200, both.text);
      assert.deepEqual(both.ids, readable.flatMap((k) => [stored.t1[k], stored.t2[k]]).sort());
      const bothT2 = await findIds(tokens[role].both, '&tenant=t2');
      assert.deepEqual(bothT2.ids, readable.map((k) => stored.t2[k]).sort());

      // A kind filter narrows within what the role may read, never beyond it.
      for (const kind of HTTP_KINDS) {
        const filtered = await findIds(tokens[role].t1, `&kind=${kind}`);
        assert.equal(filtered.status, 200, filtered.text);
        assert.deepEqual(filtered.ids, readable.includes(kind) ? [stored.t1[kind]] : []);
      }
    });
  }

  test('an all-tenants admin token finds every kind in every tenant', async () => {
    const all = await findIds(adminToken, '');
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(all.ids, TENANTS.flatMap((t) => HTTP_KINDS.map((k) => stored[t][k])).sort());
  });
});
