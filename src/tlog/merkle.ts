import { timingSafeEqual } from 'node:crypto';
import { AttestryError } from '../core/errors.js';
import { EMPTY_ROOT, HASH_SIZE, nodeHash, splitPoint } from './hash.js';

/**
 * RFC 6962 §2.1 / RFC 9162 §2.1 Merkle tree hashes and proofs, computed from
 * the hashes of perfect subtrees only. A perfect subtree of height h at index
 * k covers leaves [k·2^h, (k+1)·2^h); the log stores such hashes in tiles, so
 * every value here costs O(log n) node reads, never a pass over the leaves.
 */
export type PerfectNode = (height: number, index: number) => Uint8Array;

/** MTH(D[lo:hi]) where lo is aligned to the largest power of two <= hi - lo (true of every range the RFC recursions produce). */
export function rangeHash(lo: number, hi: number, node: PerfectNode): Uint8Array {
  // The RFC's split of an aligned range is its binary decomposition, high bit first; fold it from the right.
  const pieces: Uint8Array[] = [];
  let start = lo;
  let remaining = hi - lo;
  while (remaining > 0) {
    let height = 0;
    while (2 ** (height + 1) <= remaining) height += 1;
    const size = 2 ** height;
    pieces.push(node(height, start / size));
    start += size;
    remaining -= size;
  }
  let acc = pieces.pop() as Uint8Array;
  while (pieces.length > 0) acc = nodeHash(pieces.pop() as Uint8Array, acc);
  return acc;
}

/** The root hash of the first `size` leaves. */
export function treeRoot(size: number, node: PerfectNode): Uint8Array {
  return size === 0 ? EMPTY_ROOT : rangeHash(0, size, node);
}

/** PATH(m, D[0:n]) of RFC 6962 §2.1.1, ordered leaf to root. */
export function inclusionProof(index: number, size: number, node: PerfectNode): Uint8Array[] {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new AttestryError('E_INVALID_INPUT', `no inclusion proof for index ${index} in a tree of size ${size}`);
  }
  const proof: Uint8Array[] = [];
  let lo = 0;
  let hi = size;
  // Walk down from the root, collecting siblings; reversed at the end.
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      proof.push(rangeHash(lo + k, hi, node));
      hi = lo + k;
    } else {
      proof.push(rangeHash(lo, lo + k, node));
      lo += k;
    }
  }
  return proof.reverse();
}

/** PROOF(m, D[0:n]) of RFC 6962 §2.1.2 (SUBPROOF with b = true), ordered as the RFC emits it. */
export function consistencyProof(from: number, to: number, node: PerfectNode): Uint8Array[] {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || from > to) {
    throw new AttestryError('E_INVALID_INPUT', `no consistency proof from size ${from} to size ${to}`);
  }
  if (from === 0 || from === to) return [];
  const proof: Uint8Array[] = [];
  let lo = 0;
  let hi = to;
  let m = from;
  let complete = true;
  // Iterative SUBPROOF(m, D[lo:hi], complete); each step appends the sibling
  // the verifier needs after the part below it, so collect and reverse.
  while (true) {
    const n = hi - lo;
    if (m === n) {
      if (!complete) proof.push(rangeHash(lo, hi, node));
      break;
    }
    const k = splitPoint(n);
    if (m <= k) {
      proof.push(rangeHash(lo + k, hi, node));
      hi = lo + k;
    } else {
      proof.push(rangeHash(lo, lo + k, node));
      lo += k;
      m -= k;
      complete = false;
    }
  }
  return proof.reverse();
}

function isPowerOfTwo(n: number): boolean {
  let p = 1;
  while (p < n) p *= 2;
  return p === n;
}

const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && timingSafeEqual(a, b);

function checkHashes(proof: readonly Uint8Array[], what: string, named: Record<string, Uint8Array> = {}): void {
  for (const [i, h] of proof.entries()) {
    if (h.length !== HASH_SIZE) throw new AttestryError('E_SIGNATURE_INVALID', `${what} hash ${i} is ${h.length} bytes, not ${HASH_SIZE}`);
  }
  for (const [name, h] of Object.entries(named)) {
    if (h.length !== HASH_SIZE)
      throw new AttestryError('E_SIGNATURE_INVALID', `${what}: the ${name} is ${h.length} bytes, not ${HASH_SIZE}`);
  }
}

/**
 * RFC 9162 §2.1.3.2: recomputes the root from a leaf hash and its audit path.
 * Throws E_SIGNATURE_INVALID naming what does not match.
 */
export function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): void {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new AttestryError('E_SIGNATURE_INVALID', `inclusion proof: index ${index} is outside a tree of size ${size}`);
  }
  checkHashes(proof, 'inclusion proof', { 'leaf hash': leaf, 'root hash': root });
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leaf;
  for (const p of proof) {
    if (sn === 0) throw new AttestryError('E_SIGNATURE_INVALID', 'inclusion proof has more hashes than the tree has levels');
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new AttestryError('E_SIGNATURE_INVALID', 'inclusion proof has too few hashes for the tree size');
  if (!equal(r, root))
    throw new AttestryError(
      'E_SIGNATURE_INVALID',
      `inclusion proof for index ${index} does not lead to the root hash of tree size ${size}`,
    );
}

/** RFC 9162 §2.1.4.2: checks that the tree of size `to` extends the tree of size `from`. */
export function verifyConsistency(from: number, to: number, proof: readonly Uint8Array[], fromRoot: Uint8Array, toRoot: Uint8Array): void {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || from > to) {
    throw new AttestryError('E_SIGNATURE_INVALID', `consistency proof: size ${from} cannot precede size ${to}`);
  }
  checkHashes(proof, 'consistency proof', { 'old root hash': fromRoot, 'new root hash': toRoot });
  if (from === 0) {
    // Everything extends the empty tree, whose root is fixed (RFC 6962 §2.1).
    if (proof.length !== 0) throw new AttestryError('E_SIGNATURE_INVALID', 'consistency proof from the empty tree must be empty');
    if (!equal(fromRoot, EMPTY_ROOT))
      throw new AttestryError('E_SIGNATURE_INVALID', 'the root hash of the empty tree must be SHA-256 of nothing');
    if (to === 0 && !equal(toRoot, EMPTY_ROOT))
      throw new AttestryError('E_SIGNATURE_INVALID', 'the root hash of the empty tree must be SHA-256 of nothing');
    return;
  }
  if (from === to) {
    if (proof.length !== 0) throw new AttestryError('E_SIGNATURE_INVALID', 'consistency proof between equal sizes must be empty');
    if (!equal(fromRoot, toRoot))
      throw new AttestryError('E_SIGNATURE_INVALID', `two different root hashes for tree size ${to}: the log forked`);
    return;
  }
  if (proof.length === 0) throw new AttestryError('E_SIGNATURE_INVALID', 'consistency proof is empty');
  let path = proof.slice();
  // If from is an exact power of two, the old root itself starts the path.
  if (isPowerOfTwo(from)) path = [fromRoot, ...path];
  let fn = from - 1;
  let sn = to - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0] as Uint8Array;
  let sr = path[0] as Uint8Array;
  for (const c of path.slice(1)) {
    if (sn === 0) throw new AttestryError('E_SIGNATURE_INVALID', 'consistency proof has more hashes than needed');
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new AttestryError('E_SIGNATURE_INVALID', 'consistency proof has too few hashes');
  if (!equal(fr, fromRoot))
    throw new AttestryError(
      'E_SIGNATURE_INVALID',
      `consistency proof does not reproduce the root hash of size ${from}: the log forked or rewrote history`,
    );
  if (!equal(sr, toRoot))
    throw new AttestryError('E_SIGNATURE_INVALID', `consistency proof does not reproduce the root hash of size ${to}`);
}
