/**
 * The access matrix as pure functions: `can()` for every role × kind ×
 * action against a table written out independently here, plus `kindsAllowed`,
 * `authorize` (cross-tenant → not found, wrong kind → forbidden) and
 * `writeTenant`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ACCESS_MATRIX,
  canAdminister,
  can,
  kindsAllowed,
  parseRole,
  ROLES,
  type Action,
  type Role,
} from '../../src/authz/access-matrix.js';
import { ALL_TENANTS, actsFor, authorize, writeTenant, type Principal } from '../../src/authz/principal.js';
import { AttestryError } from '../../src/core/errors.js';
import { EVIDENCE_KINDS, type EvidenceKind } from '../../src/kinds/builtin.js';
import { expectAttestryError } from '../helpers/model.js';

/**
 * The expected grants, written from the specification rather than copied from
 * src. Anything not listed is denied.
 *
 * Seed 000 §3.2 (the first four kinds):
 *   Signals Service: read/write callgraphs, manifests, runtime-facts, attestations
 *   Policy Engine:   read callgraphs, manifests, runtime-facts, attestations
 *   Scanner Worker:  write callgraphs only
 *   Audit Service:   read callgraphs, manifests, runtime-facts, attestations
 *   all others:      deny
 * Extension (model-signatures, ai-attestations, ai-audit-records):
 *   policy-engine, audit-service: read them
 *   ai-service: read/write them
 *   reviewer: read them
 *   admin: read/write every kind
 * message-signatures (sign-blob --upload): the grants of attestations.
 * reachability-verdicts (issue 15): the grants of attestations (signals-service
 *   writes, policy-engine and audit-service read).
 * Issue 17 "Access": ai-reviews (approvals, rejections) and vex-statements
 *   (published VEX): reviewer decides and publishes (read/write); ai-service,
 *   policy-engine, audit-service and admin read (admin does not decide:
 *   "reviewer only"); scanner-worker reads published VEX; others denied.
 */
const SEED_KINDS = ['callgraphs', 'manifests', 'runtime-facts', 'attestations'] as const;
const AI_KINDS = ['model-signatures', 'ai-attestations', 'ai-audit-records'] as const;
// Reachability verdicts (issue 15) are Signals evidence under the seed's grants.
const SIGNALS_KINDS = [...SEED_KINDS, 'reachability-verdicts'] as const;
const REVIEW_KINDS = ['ai-reviews', 'vex-statements'] as const;
const ALL_KINDS = [...SIGNALS_KINDS, ...AI_KINDS, ...REVIEW_KINDS, 'message-signatures'] as const;

type Expected = Partial<Record<EvidenceKind, { read: boolean; write: boolean }>>;
const RW = { read: true, write: true };
const R = { read: true, write: false };
const W = { read: false, write: true };

const grant = (kinds: readonly EvidenceKind[], g: { read: boolean; write: boolean }): Expected =>
  Object.fromEntries(kinds.map((k) => [k, g]));

const EXPECTED: Record<Role, Expected> = {
  'signals-service': {
    callgraphs: RW,
    manifests: RW,
    'runtime-facts': RW,
    attestations: RW,
    'reachability-verdicts': RW,
    'message-signatures': RW,
  },
  'policy-engine': { ...grant(SIGNALS_KINDS, R), ...grant(AI_KINDS, R), ...grant(REVIEW_KINDS, R), 'message-signatures': R },
  'scanner-worker': { callgraphs: W, 'vex-statements': R },
  'audit-service': { ...grant(SIGNALS_KINDS, R), ...grant(AI_KINDS, R), ...grant(REVIEW_KINDS, R), 'message-signatures': R },
  'ai-service': { ...grant(AI_KINDS, RW), ...grant(REVIEW_KINDS, R) },
  reviewer: { ...grant(AI_KINDS, R), ...grant(REVIEW_KINDS, RW) },
  admin: { ...grant([...SIGNALS_KINDS, ...AI_KINDS, 'message-signatures'], RW), ...grant(REVIEW_KINDS, R) },
};

const expected = (role: Role, kind: EvidenceKind, action: Action): boolean => EXPECTED[role][kind]?.[action] ?? false;

const principal = (role: Role, tenants: readonly string[] | '*'): Principal => ({ tokenId: '01J00000000000000000000000', role, tenants });
const notFound = () => new AttestryError('E_NOT_FOUND', 'no such thing');

describe('the role and kind universe', () => {
  test('ROLES are exactly the seven roles', () => {
    assert.deepEqual([...ROLES].sort(), [
      'admin',
      'ai-service',
      'audit-service',
      'policy-engine',
      'reviewer',
      'scanner-worker',
      'signals-service',
    ]);
  });
  test('EVIDENCE_KINDS are exactly the eleven kinds', () => {
    assert.deepEqual([...EVIDENCE_KINDS].sort(), [...ALL_KINDS].sort());
  });
  test('ACCESS_MATRIX has a row for every role and a cell for every kind', () => {
    assert.deepEqual(Object.keys(ACCESS_MATRIX).sort(), [...ROLES].sort());
    for (const role of ROLES) assert.deepEqual(Object.keys(ACCESS_MATRIX[role]).sort(), [...ALL_KINDS].sort(), role);
  });
});

describe('can(role, kind, action) for every role × kind × action', () => {
  for (const role of ROLES) {
    for (const kind of ALL_KINDS) {
      for (const action of ['read', 'write'] as const) {
        const want = expected(role, kind, action);
        test(`${role} ${want ? 'may' : 'may not'} ${action} ${kind}`, () => {
          assert.equal(can(role, kind, action), want);
        });
      }
    }
  }
});

describe('kindsAllowed', () => {
  for (const role of ROLES) {
    for (const action of ['read', 'write'] as const) {
      test(`${role} ${action}: ${ALL_KINDS.filter((k) => expected(role, k, action)).join(', ') || '(nothing)'}`, () => {
        assert.deepEqual(
          kindsAllowed(role, action),
          ALL_KINDS.filter((k) => expected(role, k, action)),
        );
      });
    }
  }
});

describe('canAdminister and parseRole', () => {
  for (const role of ROLES) {
    test(`${role} ${role === 'admin' ? 'may' : 'may not'} administer`, () => {
      assert.equal(canAdminister(role), role === 'admin');
    });
  }
  test('parseRole accepts every role and rejects others, listing the roles', () => {
    for (const role of ROLES) assert.equal(parseRole(role), role);
    for (const bad of ['wizard', 'Admin', '', ' admin', 42, null, undefined]) {
      const e = expectAttestryError(() => parseRole(bad), 'E_INVALID_INPUT');
      for (const role of ROLES) assert.ok(e.message.includes(role), `message lists ${role}: ${e.message}`);
    }
  });
});

describe('authorize', () => {
  for (const role of ROLES) {
    for (const kind of ALL_KINDS) {
      for (const action of ['read', 'write'] as const) {
        const want = expected(role, kind, action);
        test(`${role} ${action} ${kind}: own tenant ${want ? 'allowed' : 'E_FORBIDDEN'}, other tenant E_NOT_FOUND`, () => {
          const p = principal(role, ['t1']);
          if (want) {
            assert.doesNotThrow(() => authorize(p, 't1', kind, action, notFound));
          } else {
            const e = expectAttestryError(
              () => authorize(p, 't1', kind, action, notFound),
              'E_FORBIDDEN',
              new RegExp(`${role}.*${action}.*${kind}`),
            );
            assert.equal(e.httpStatus, 403);
            assert.deepEqual(e.details, { role, kind, action });
          }
          // Another tenant is "not found" whether or not the kind is allowed: no leak of existence.
          const e = expectAttestryError(() => authorize(p, 't2', kind, action, notFound), 'E_NOT_FOUND');
          assert.equal(e.httpStatus, 404);
        });
      }
    }
  }

  test('the caller-supplied not-found error is the one thrown', () => {
    const mine = new AttestryError('E_NOT_FOUND', 'no attestation 01ABC');
    let caught: unknown;
    try {
      authorize(principal('admin', ['t1']), 'other', 'attestations', 'read', () => mine);
    } catch (e) {
      caught = e;
    }
    assert.equal(caught, mine);
  });

  test('an all-tenants principal passes the tenant check everywhere', () => {
    const p = principal('admin', ALL_TENANTS);
    for (const tenant of ['t1', 't2', 'anything'])
      for (const kind of ALL_KINDS) {
        // Deciding on AI drafts is the reviewer's alone (issue 17): admin reads those kinds.
        const action = can('admin', kind, 'write') ? 'write' : 'read';
        assert.doesNotThrow(() => authorize(p, tenant, kind, action, notFound));
      }
  });

  test('a multi-tenant principal acts for each of its tenants only', () => {
    const p = principal('policy-engine', ['t1', 't2']);
    assert.doesNotThrow(() => authorize(p, 't1', 'attestations', 'read', notFound));
    assert.doesNotThrow(() => authorize(p, 't2', 'attestations', 'read', notFound));
    expectAttestryError(() => authorize(p, 't3', 'attestations', 'read', notFound), 'E_NOT_FOUND');
    // Tenant is checked before kind: forbidden kind in a foreign tenant is still not found.
    expectAttestryError(() => authorize(p, 't3', 'attestations', 'write', notFound), 'E_NOT_FOUND');
    expectAttestryError(() => authorize(p, 't1', 'attestations', 'write', notFound), 'E_FORBIDDEN');
  });

  test('actsFor', () => {
    assert.equal(actsFor(principal('reviewer', ['a', 'b']), 'a'), true);
    assert.equal(actsFor(principal('reviewer', ['a', 'b']), 'c'), false);
    assert.equal(actsFor(principal('reviewer', []), 'a'), false);
    assert.equal(actsFor(principal('admin', '*'), 'zzz'), true);
  });
});

describe('writeTenant', () => {
  test('a single-tenant token writes to its tenant when none is named', () => {
    assert.equal(writeTenant(principal('signals-service', ['t1']), undefined), 't1');
  });
  test("naming the token's own tenant is accepted", () => {
    assert.equal(writeTenant(principal('signals-service', ['t1']), 't1'), 't1');
    assert.equal(writeTenant(principal('signals-service', ['t1', 't2']), 't2'), 't2');
  });
  test('naming a tenant the token does not act for is E_FORBIDDEN naming it', () => {
    const e = expectAttestryError(() => writeTenant(principal('signals-service', ['t1']), 't2'), 'E_FORBIDDEN', /"t2"/);
    assert.equal(e.httpStatus, 403);
    expectAttestryError(() => writeTenant(principal('ai-service', ['t1', 't2']), 't3'), 'E_FORBIDDEN', /t3/);
  });
  test('a multi-tenant token that names no tenant is E_INVALID_INPUT explaining how to choose', () => {
    const e = expectAttestryError(
      () => writeTenant(principal('signals-service', ['t1', 't2']), undefined),
      'E_INVALID_INPUT',
      /\?tenant=/,
      /X-Attestry-Tenant/,
    );
    assert.equal(e.httpStatus, 400);
  });
  test('an all-tenants token must name a tenant, and may name any', () => {
    expectAttestryError(() => writeTenant(principal('admin', ALL_TENANTS), undefined), 'E_INVALID_INPUT');
    assert.equal(writeTenant(principal('admin', ALL_TENANTS), 'whatever'), 'whatever');
  });
  test('a token with no tenants can write nowhere', () => {
    expectAttestryError(() => writeTenant(principal('reviewer', []), undefined), 'E_INVALID_INPUT');
    expectAttestryError(() => writeTenant(principal('reviewer', []), 't1'), 'E_FORBIDDEN');
  });
});
