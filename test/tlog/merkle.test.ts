import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AttestryError } from '../../src/core/errors.js';
import { EMPTY_ROOT, leafHash, nodeHash } from '../../src/tlog/hash.js';
import { consistencyProof, inclusionProof, treeRoot, verifyConsistency, verifyInclusion } from '../../src/tlog/merkle.js';
import { arr, expectAttestryError, field, str } from '../core/helpers.js';
import { flipBit, fromHex, hex, leafInputs, pinnedNodes, readTlogVector, referenceNodes } from './helpers.js';
import { ReferenceTree } from './reference.js';

const vectors = readTlogVector('rfc6962.json');

function num(obj: unknown, key: string): number {
  const v = field(obj, key);
  assert.ok(typeof v === 'number' && Number.isSafeInteger(v), `fixture: "${key}" must be an integer`);
  return v;
}

const hexList = (list: unknown[]): Buffer[] =>
  list.map((h) => {
    assert.ok(typeof h === 'string' && /^([0-9a-f]{2})*$/.test(h), `fixture: ${String(h)} is not hex`);
    return fromHex(h);
  });

const INPUTS = hexList(arr(vectors, 'leaf_inputs_hex'));
const ROOTS = hexList(arr(field(vectors, 'roots'), 'by_size'));
const LEVELS = arr(field(vectors, 'nodes'), 'levels').map((level) => {
  assert.ok(Array.isArray(level));
  return hexList(level);
});
const INCLUSION = arr(vectors, 'inclusion').map((v) => ({
  source: str(v, 'source'),
  index: num(v, 'index'),
  size: num(v, 'size'),
  proof: hexList(arr(v, 'proof')),
}));
const CONSISTENCY = arr(vectors, 'consistency').map((v) => ({
  source: str(v, 'source'),
  from: num(v, 'from'),
  to: num(v, 'to'),
  proof: hexList(arr(v, 'proof')),
}));
const LEAVES = LEVELS[0] as Buffer[];
const root = (n: number): Buffer => ROOTS[n] as Buffer;
const leaf = (i: number): Buffer => LEAVES[i] as Buffer;

/** Asserts that a verification fails the way attacker input must: AttestryError E_SIGNATURE_INVALID. */
function mustReject(what: string, fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, `${what}: verification passed, it must fail`);
  assert.ok(caught instanceof AttestryError, `${what}: expected an AttestryError, got ${String(caught)}`);
  assert.equal(caught.code, 'E_SIGNATURE_INVALID', `${what}: ${caught.code}: ${caught.message}`);
}

describe('RFC 6962 known answers', () => {
  test('fixture cites RFC 6962 and where each vector comes from', () => {
    assert.match(str(vectors, 'source'), /RFC 6962/);
    assert.match(str(vectors, 'source'), /transparency-dev\/merkle/);
    assert.match(str(field(vectors, 'roots'), 'source'), /constants\.go/);
    for (const v of [...INCLUSION, ...CONSISTENCY]) assert.match(v.source, /proofgen|derived|RFC 6962/);
    assert.equal(INPUTS.length, 8);
    assert.equal(ROOTS.length, 9);
    assert.deepEqual(
      LEVELS.map((l) => l.length),
      [8, 4, 2, 1],
    );
  });

  test('leaf hashes: SHA-256(0x00 || d)', () => {
    for (const [i, d] of INPUTS.entries()) {
      const h = leafHash(d);
      assert.ok(Buffer.isBuffer(h));
      assert.equal(hex(h), hex(leaf(i)), `leaf ${i}`);
    }
  });

  test('interior nodes: SHA-256(0x01 || left || right), level by level up to the size-8 root', () => {
    for (let h = 0; h + 1 < LEVELS.length; h++) {
      const level = LEVELS[h] as Buffer[];
      for (let i = 0; 2 * i + 1 < level.length; i++) {
        assert.equal(
          hex(nodeHash(level[2 * i] as Buffer, level[2 * i + 1] as Buffer)),
          hex((LEVELS[h + 1] as Buffer[])[i] as Buffer),
          `node ${h + 1}/${i}`,
        );
      }
    }
    assert.equal(hex((LEVELS[3] as Buffer[])[0] as Buffer), hex(root(8)));
  });

  test('the empty tree: MTH({}) = SHA-256()', () => {
    assert.equal(hex(EMPTY_ROOT), hex(root(0)));
    assert.equal(hex(treeRoot(0, () => assert.fail('no node is needed for the empty tree'))), hex(root(0)));
  });

  for (let n = 1; n <= 8; n++) {
    test(`treeRoot(${n}) from perfect-subtree hashes`, () => {
      assert.equal(hex(treeRoot(n, pinnedNodes(LEVELS, n))), hex(root(n)));
    });
  }

  test('the reference implementation reproduces every pinned value', () => {
    const tree = new ReferenceTree(INPUTS);
    for (let n = 0; n <= 8; n++) assert.equal(hex(tree.mth(0, n)), hex(root(n)), `MTH(D[${n}])`);
    for (const v of INCLUSION) assert.deepEqual(tree.path(v.index, 0, v.size).map(hex), v.proof.map(hex), `PATH(${v.index}, D[${v.size}])`);
    for (const v of CONSISTENCY) assert.deepEqual(tree.proof(v.from, v.to).map(hex), v.proof.map(hex), `PROOF(${v.from}, D[${v.to}])`);
  });

  for (const v of INCLUSION) {
    test(`inclusion of leaf ${v.index} in tree ${v.size}: proof and verification`, () => {
      const proof = inclusionProof(v.index, v.size, pinnedNodes(LEVELS, v.size));
      assert.deepEqual(proof.map(hex), v.proof.map(hex));
      verifyInclusion(v.index, v.size, leaf(v.index), v.proof, root(v.size));
    });
  }

  for (const v of CONSISTENCY) {
    test(`consistency ${v.from} → ${v.to}: proof and verification`, () => {
      const proof = consistencyProof(v.from, v.to, pinnedNodes(LEVELS, v.to));
      assert.deepEqual(proof.map(hex), v.proof.map(hex));
      verifyConsistency(v.from, v.to, v.proof, root(v.from), root(v.to));
    });
  }

  test('every proof in trees of 1..8 leaves equals the reference and verifies', () => {
    const tree = new ReferenceTree(INPUTS);
    let checked = 0;
    for (let n = 1; n <= 8; n++) {
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(i, n, pinnedNodes(LEVELS, n));
        assert.deepEqual(proof.map(hex), tree.path(i, 0, n).map(hex), `PATH(${i}, D[${n}])`);
        verifyInclusion(i, n, leaf(i), proof, root(n));
        checked++;
      }
      for (let m = 1; m <= n; m++) {
        const proof = consistencyProof(m, n, pinnedNodes(LEVELS, n));
        assert.deepEqual(proof.map(hex), tree.proof(m, n).map(hex), `PROOF(${m}, D[${n}])`);
        verifyConsistency(m, n, proof, root(m), root(n));
        checked++;
      }
    }
    assert.equal(checked, 72);
  });

  test('every single-bit flip of a pinned proof hash, leaf hash or root is rejected', () => {
    let flips = 0;
    for (const v of INCLUSION) {
      const l = leaf(v.index);
      const r = root(v.size);
      for (let bit = 0; bit < 256; bit++) {
        for (let j = 0; j < v.proof.length; j++) {
          mustReject(`PATH(${v.index}, D[${v.size}]) hash ${j} bit ${bit}`, () =>
            verifyInclusion(v.index, v.size, l, v.proof.with(j, flipBit(v.proof[j] as Buffer, bit)), r),
          );
        }
        mustReject(`leaf ${v.index} bit ${bit}`, () => verifyInclusion(v.index, v.size, flipBit(l, bit), v.proof, r));
        mustReject(`root ${v.size} bit ${bit}`, () => verifyInclusion(v.index, v.size, l, v.proof, flipBit(r, bit)));
        flips += v.proof.length + 2;
      }
    }
    for (const v of CONSISTENCY) {
      for (let bit = 0; bit < 256; bit++) {
        for (let j = 0; j < v.proof.length; j++) {
          mustReject(`PROOF(${v.from}, D[${v.to}]) hash ${j} bit ${bit}`, () =>
            verifyConsistency(v.from, v.to, v.proof.with(j, flipBit(v.proof[j] as Buffer, bit)), root(v.from), root(v.to)),
          );
        }
        mustReject(`root ${v.from} bit ${bit}`, () => verifyConsistency(v.from, v.to, v.proof, flipBit(root(v.from), bit), root(v.to)));
        mustReject(`root ${v.to} bit ${bit}`, () => verifyConsistency(v.from, v.to, v.proof, root(v.from), flipBit(root(v.to), bit)));
        flips += v.proof.length + 2;
      }
    }
    assert.ok(flips > 10_000);
  });
});

describe('argument checks', () => {
  const node = pinnedNodes(LEVELS, 8);

  test('inclusionProof needs 0 <= index < size, both safe integers', () => {
    for (const [i, n] of [
      [-1, 8],
      [8, 8],
      [0, 0],
      [1.5, 8],
      [Number.NaN, 8],
      [0, 2 ** 53],
    ] as const) {
      expectAttestryError(() => inclusionProof(i, n, node), 'E_INVALID_INPUT', /no inclusion proof for index/);
    }
  });

  test('consistencyProof needs 0 <= from <= to; from 0 and from = to give empty proofs', () => {
    expectAttestryError(() => consistencyProof(5, 4, node), 'E_INVALID_INPUT', /no consistency proof from size 5 to size 4/);
    expectAttestryError(() => consistencyProof(-1, 4, node), 'E_INVALID_INPUT');
    expectAttestryError(() => consistencyProof(1, 2 ** 53, node), 'E_INVALID_INPUT');
    assert.deepEqual(
      consistencyProof(0, 8, () => assert.fail('no node needed')),
      [],
    );
    assert.deepEqual(
      consistencyProof(5, 5, () => assert.fail('no node needed')),
      [],
    );
  });

  test('verifyInclusion: indices outside the tree, and unsafe integers, are rejected', () => {
    const proof = INCLUSION[0]?.proof as Buffer[];
    for (const [i, n] of [
      [8, 8],
      [-1, 8],
      [0, 0],
      [0.5, 8],
      [2 ** 53, 2 ** 53 + 2],
      [0, Number.POSITIVE_INFINITY],
    ] as const) {
      expectAttestryError(() => verifyInclusion(i, n, leaf(0), proof, root(8)), 'E_SIGNATURE_INVALID', /outside a tree of size/);
    }
  });

  test('verifyInclusion: a proof hash of the wrong length is named', () => {
    const proof = (INCLUSION[0]?.proof as Buffer[]).slice();
    proof[1] = (proof[1] as Buffer).subarray(0, 31);
    expectAttestryError(() => verifyInclusion(0, 8, leaf(0), proof, root(8)), 'E_SIGNATURE_INVALID', /hash 1 is 31 bytes, not 32/);
  });

  test('verifyInclusion: too many and too few hashes are told apart', () => {
    const proof = INCLUSION[0]?.proof as Buffer[];
    expectAttestryError(
      () => verifyInclusion(0, 8, leaf(0), [...proof, root(8)], root(8)),
      'E_SIGNATURE_INVALID',
      /more hashes than the tree has levels/,
    );
    expectAttestryError(() => verifyInclusion(0, 8, leaf(0), proof.slice(0, 2), root(8)), 'E_SIGNATURE_INVALID', /too few hashes/);
    expectAttestryError(
      () => verifyInclusion(0, 8, leaf(1), proof, root(8)),
      'E_SIGNATURE_INVALID',
      /does not lead to the root hash of tree size 8/,
    );
  });

  test('verifyConsistency: order, equal sizes, empty proofs', () => {
    expectAttestryError(() => verifyConsistency(5, 4, [], root(5), root(4)), 'E_SIGNATURE_INVALID', /size 5 cannot precede size 4/);
    expectAttestryError(
      () => verifyConsistency(4, 4, [root(4)], root(4), root(4)),
      'E_SIGNATURE_INVALID',
      /between equal sizes must be empty/,
    );
    expectAttestryError(() => verifyConsistency(4, 4, [], root(4), root(5)), 'E_SIGNATURE_INVALID', /the log forked/);
    expectAttestryError(() => verifyConsistency(3, 7, [], root(3), root(7)), 'E_SIGNATURE_INVALID', /consistency proof is empty/);
    expectAttestryError(
      () => verifyConsistency(0, 7, [root(1)], root(0), root(7)),
      'E_SIGNATURE_INVALID',
      /from the empty tree must be empty/,
    );
    verifyConsistency(4, 4, [], root(4), root(4));
    verifyConsistency(0, 7, [], root(0), root(7));
  });

  test('verifyConsistency: a forked old root is named as such', () => {
    const v = CONSISTENCY.find((c) => c.from === 6 && c.to === 8);
    assert.ok(v);
    expectAttestryError(
      () => verifyConsistency(6, 8, v.proof, root(5), root(8)),
      'E_SIGNATURE_INVALID',
      /does not reproduce the root hash of size 6: the log forked/,
    );
    expectAttestryError(
      () => verifyConsistency(6, 8, v.proof, root(6), root(7)),
      'E_SIGNATURE_INVALID',
      /does not reproduce the root hash of size 8/,
    );
  });

  test('the tree size alone does not bind the root (why the ±1 size mutations below use the other size’s root)', () => {
    // RFC 9162 §2.1.3.2 uses the size only for the shape of the path: PATH(0, D[5])
    // has the shape of PATH(0, D[6]) and so verifies for size 6 against MTH(D[5]).
    // It is the signed checkpoint that binds a root to its size.
    const proof5 = inclusionProof(0, 5, pinnedNodes(LEVELS, 5));
    verifyInclusion(0, 6, leaf(0), proof5, root(5));
    mustReject('PATH(0, D[5]) against MTH(D[6])', () => verifyInclusion(0, 6, leaf(0), proof5, root(6)));
  });
});

describe('hash lengths of the leaf and the old root (attacker input)', () => {
  // verifyInclusion checks the proof hashes' lengths, but not the leaf's, and
  // verifyConsistency not the old root's, which seeds the path when the old
  // size is a power of two. hash.ts nodeHash copies both into one shared
  // 65-byte scratch buffer, so a longer value is cut to 32 bytes (or overruns
  // it) and a shorter one is completed with bytes left by the previous call.
  const l0 = leaf(0);
  const l1 = leaf(1);
  const r2 = root(2);

  test('verifyInclusion rejects a leaf hash with a trailing extra byte (left child)', () => {
    mustReject('33-byte leaf at index 0 of 2', () => verifyInclusion(0, 2, Buffer.concat([l0, Buffer.from([0xff])]), [l1], r2));
  });

  test('verifyInclusion rejects a leaf hash with a trailing extra byte as AttestryError (right child)', () => {
    mustReject('33-byte leaf at index 1 of 2', () => verifyInclusion(1, 2, Buffer.concat([l1, Buffer.from([0xff])]), [l0], r2));
  });

  test('verifyInclusion rejects a 31-byte prefix of the leaf hash, whatever was hashed before', () => {
    verifyInclusion(1, 2, l1, [l0], r2); // leaves l1's last byte in the scratch buffer
    mustReject('31-byte leaf at index 1 of 2', () => verifyInclusion(1, 2, l1.subarray(0, 31), [l0], r2));
  });

  test('verifyInclusion rejects an empty leaf hash and an empty root', () => {
    mustReject('empty leaf', () => verifyInclusion(0, 1, Buffer.alloc(0), [], l0));
    mustReject('empty root', () => verifyInclusion(0, 1, l0, [], Buffer.alloc(0)));
  });

  test('verifyConsistency rejects an old root with a trailing extra byte (power-of-two old size)', () => {
    const v = CONSISTENCY.find((c) => c.from === 4 && c.to === 8);
    assert.ok(v);
    mustReject('33-byte root of size 4', () => verifyConsistency(4, 8, v.proof, Buffer.concat([root(4), Buffer.from([0x00])]), root(8)));
  });

  // transparency-dev/merkle refuses size1 = 0 altogether (see probes.test.ts);
  // attestry allows it, but a size-0 tree still has exactly one root, SHA-256().
  test('verifyConsistency 0 → 0 rejects a root that is not SHA-256()', () => {
    const bogus = flipBit(EMPTY_ROOT, 0);
    verifyConsistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT);
    mustReject('size 0 → 0 with a non-empty-tree root', () => verifyConsistency(0, 0, [], bogus, bogus));
  });

  test('verifyConsistency 0 → n rejects an old root that is not SHA-256()', () => {
    mustReject('size 0 → 7 with a non-empty-tree old root', () => verifyConsistency(0, 7, [], flipBit(EMPTY_ROOT, 0), root(7)));
  });
});

describe('properties against the RFC 6962 reference (trees of up to 2,000 leaves)', () => {
  const N = 2000;
  const tree = new ReferenceTree(leafInputs(N + 1, 'property leaf'));
  const honestRoot = (n: number): Buffer => tree.mth(0, n);

  test('treeRoot equals MTH(D[n])', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: N }), (n) => {
        assert.equal(hex(treeRoot(n, referenceNodes(tree, n))), hex(honestRoot(n)));
      }),
      { numRuns: 200 },
    );
  });

  const mutation = { bit: fc.nat({ max: 255 }), pos: fc.nat(), extra: fc.uint8Array({ minLength: 32, maxLength: 32 }) };

  test('inclusion: proofs equal PATH(m, D[n]), verify, and every mutation is rejected', () => {
    const arb = fc
      .integer({ min: 1, max: N })
      .chain((n) => fc.record({ n: fc.constant(n), index: fc.integer({ min: 0, max: n - 1 }), ...mutation }));
    fc.assert(
      fc.property(arb, ({ n, index, bit, pos, extra }) => {
        const proof = inclusionProof(index, n, referenceNodes(tree, n));
        assert.deepEqual(proof.map(hex), tree.path(index, 0, n).map(hex));
        const l = tree.leafHash(index);
        const r = honestRoot(n);
        verifyInclusion(index, n, l, proof, r);

        for (const [j, h] of proof.entries()) {
          const b = (bit + 89 * j) % 256;
          mustReject(`hash ${j} bit ${b}`, () => verifyInclusion(index, n, l, proof.with(j, flipBit(h, b)), r));
        }
        mustReject('root bit', () => verifyInclusion(index, n, l, proof, flipBit(r, bit)));
        mustReject('leaf bit', () => verifyInclusion(index, n, flipBit(l, bit), proof, r));
        for (const i of [index - 1, index + 1]) mustReject(`index ${i}`, () => verifyInclusion(i, n, l, proof, r));
        for (const m of [n - 1, n + 1]) mustReject(`size ${m} (its own root)`, () => verifyInclusion(index, m, l, proof, honestRoot(m)));
        if (proof.length > 0) {
          mustReject('dropped hash', () => verifyInclusion(index, n, l, proof.toSpliced(pos % proof.length, 1), r));
          mustReject('repeated hash', () =>
            verifyInclusion(index, n, l, proof.toSpliced(pos % (proof.length + 1), 0, proof[pos % proof.length] as Buffer), r),
          );
        }
        mustReject('added hash', () => verifyInclusion(index, n, l, proof.toSpliced(pos % (proof.length + 1), 0, Buffer.from(extra)), r));
      }),
      { numRuns: 200 },
    );
  });

  test('consistency: proofs equal PROOF(m, D[n]), verify, and every mutation is rejected', () => {
    const arb = fc
      .integer({ min: 1, max: N })
      .chain((n) => fc.record({ n: fc.constant(n), m: fc.integer({ min: 1, max: n }), ...mutation }));
    fc.assert(
      fc.property(arb, ({ n, m, bit, pos, extra }) => {
        const proof = consistencyProof(m, n, referenceNodes(tree, n));
        assert.deepEqual(proof.map(hex), tree.proof(m, n).map(hex));
        const r1 = honestRoot(m);
        const r2 = honestRoot(n);
        verifyConsistency(m, n, proof, r1, r2);

        for (const [j, h] of proof.entries()) {
          const b = (bit + 89 * j) % 256;
          mustReject(`hash ${j} bit ${b}`, () => verifyConsistency(m, n, proof.with(j, flipBit(h, b)), r1, r2));
        }
        mustReject('old root bit', () => verifyConsistency(m, n, proof, flipBit(r1, bit), r2));
        mustReject('new root bit', () => verifyConsistency(m, n, proof, r1, flipBit(r2, bit)));
        // Other sizes, each with its own honest root; from 0 is trivially consistent, so not a mutation.
        for (const m2 of [m - 1, m + 1])
          if (m2 >= 1) mustReject(`old size ${m2}`, () => verifyConsistency(m2, n, proof, honestRoot(m2), r2));
        for (const n2 of [n - 1, n + 1])
          if (n2 >= m && n2 !== n) mustReject(`new size ${n2}`, () => verifyConsistency(m, n2, proof, r1, honestRoot(n2)));
        if (proof.length > 0) {
          mustReject('dropped hash', () => verifyConsistency(m, n, proof.toSpliced(pos % proof.length, 1), r1, r2));
          mustReject('repeated hash', () =>
            verifyConsistency(m, n, proof.toSpliced(pos % (proof.length + 1), 0, proof[pos % proof.length] as Buffer), r1, r2),
          );
        }
        mustReject('added hash', () => verifyConsistency(m, n, proof.toSpliced(pos % (proof.length + 1), 0, Buffer.from(extra)), r1, r2));
      }),
      { numRuns: 200 },
    );
  });
});
