/**
 * A deliberately naive RFC 6962 §2.1 Merkle tree, written from the RFC text
 * and nothing else, as the independent oracle for src/tlog (not a test file:
 * `npm test` only runs `*.test.js`). Every function is the RFC's recursive
 * definition over the list of leaf inputs D[n] = {d(0), ..., d(n-1)}; the only
 * liberty taken is a cache of MTH(D[lo:hi]) values so that property tests over
 * thousands of leaves stay fast. It shares no code with src/tlog.
 */
import { createHash } from 'node:crypto';

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** MTH({d(0)}) = SHA-256(0x00 || d(0)) (RFC 6962 §2.1). */
export const refLeafHash = (d: Uint8Array): Buffer => sha256(Uint8Array.of(0x00), d);

/** SHA-256(0x01 || MTH(left) || MTH(right)) (RFC 6962 §2.1). */
export const refNodeHash = (left: Uint8Array, right: Uint8Array): Buffer => sha256(Uint8Array.of(0x01), left, right);

/** "k is the largest power of two smaller than n (i.e., k < n <= 2k)" (RFC 6962 §2.1), for n > 1. */
export function largestPowerOfTwoBelow(n: number): number {
  if (!(n > 1)) throw new Error(`k is only defined for n > 1, got ${n}`);
  let k = 1;
  while (k * 2 <= n - 1) k *= 2;
  if (!(k < n && n <= 2 * k)) throw new Error(`bad split ${k} for ${n}`);
  return k;
}

/** The list D of leaf inputs and the RFC 6962 §2.1 functions over its sub-lists D[lo:hi]. */
export class ReferenceTree {
  readonly #inputs: readonly Uint8Array[];
  readonly #cache = new Map<string, Buffer>();

  constructor(inputs: readonly Uint8Array[]) {
    this.#inputs = inputs;
  }

  get size(): number {
    return this.#inputs.length;
  }

  #check(lo: number, hi: number): void {
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && 0 <= lo && lo <= hi && hi <= this.size)) {
      throw new Error(`D[${lo}:${hi}] is not a sub-list of ${this.size} leaves`);
    }
  }

  /** The leaf hash MTH({d(i)}). */
  leafHash(i: number): Buffer {
    return this.mth(i, i + 1);
  }

  /**
   * MTH(D[lo:hi]):
   *   MTH({}) = SHA-256()
   *   MTH({d(0)}) = SHA-256(0x00 || d(0))
   *   MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])) for n > 1.
   */
  mth(lo = 0, hi = this.size): Buffer {
    this.#check(lo, hi);
    const n = hi - lo;
    if (n === 0) return sha256();
    const key = `${lo}:${hi}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    let out: Buffer;
    if (n === 1) {
      out = refLeafHash(this.#inputs[lo] as Uint8Array);
    } else {
      const k = largestPowerOfTwoBelow(n);
      out = refNodeHash(this.mth(lo, lo + k), this.mth(lo + k, hi));
    }
    this.#cache.set(key, out);
    return out;
  }

  /**
   * PATH(m, D[lo:hi]) of RFC 6962 §2.1.1, m relative to lo:
   *   PATH(0, {d(0)}) = {}
   *   PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])      for m < k
   *   PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k])  for m >= k
   */
  path(m: number, lo = 0, hi = this.size): Buffer[] {
    this.#check(lo, hi);
    const n = hi - lo;
    if (!(Number.isInteger(m) && 0 <= m && m < n)) throw new Error(`PATH(${m}, D[${n}]) is undefined`);
    if (n === 1) return [];
    const k = largestPowerOfTwoBelow(n);
    if (m < k) return [...this.path(m, lo, lo + k), this.mth(lo + k, hi)];
    return [...this.path(m - k, lo + k, hi), this.mth(lo, lo + k)];
  }

  /** PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 6962 §2.1.2, for 0 < m <= n. */
  proof(m: number, n: number = this.size): Buffer[] {
    if (!(Number.isInteger(m) && 0 < m && m <= n)) throw new Error(`PROOF(${m}, D[${n}]) is undefined`);
    return this.subproof(m, 0, n, true);
  }

  /**
   *   SUBPROOF(m, D[m], true) = {}
   *   SUBPROOF(m, D[m], false) = {MTH(D[m])}
   *   SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])          for m <= k
   *   SUBPROOF(m, D[n], b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])  for m > k
   */
  subproof(m: number, lo: number, hi: number, b: boolean): Buffer[] {
    this.#check(lo, hi);
    const n = hi - lo;
    if (m === n) return b ? [] : [this.mth(lo, hi)];
    const k = largestPowerOfTwoBelow(n);
    if (m <= k) return [...this.subproof(m, lo, lo + k, b), this.mth(lo + k, hi)];
    return [...this.subproof(m - k, lo + k, hi, false), this.mth(lo, lo + k)];
  }
}
