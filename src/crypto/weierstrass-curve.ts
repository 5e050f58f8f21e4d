/**
 * Short Weierstrass curves given by their parameters (SM2, GOST R 34.10-2012),
 * on @noble/curves' generic arithmetic: one point constructor per curve,
 * built once. weierstrassN checks that G is on the curve, so a mistyped
 * constant fails at first use.
 */
import { weierstrassN } from '@noble/curves/abstract/weierstrass.js';

export interface CurveParameters {
  readonly p: bigint;
  readonly a: bigint;
  readonly b: bigint;
  /** Order of the base point. */
  readonly n: bigint;
  readonly Gx: bigint;
  readonly Gy: bigint;
}

const pointsOf = (c: CurveParameters) => weierstrassN({ p: c.p, n: c.n, h: 1n, a: c.a, b: c.b, Gx: c.Gx, Gy: c.Gy });
export type CurvePoints = ReturnType<typeof pointsOf>;
export type CurvePoint = CurvePoints['BASE'];

const cache = new Map<string, CurvePoints>();

export function curvePoints(c: CurveParameters): CurvePoints {
  const key = `${c.p}:${c.a}:${c.b}:${c.n}:${c.Gx}:${c.Gy}`;
  let P = cache.get(key);
  if (P === undefined) {
    P = pointsOf(c);
    cache.set(key, P);
  }
  return P;
}

/** A big-endian unsigned integer. */
export function bigFromBe(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}
