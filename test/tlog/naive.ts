/** A naive RFC 6962 §2.1 MTH over raw leaf hashes, for checking the stored log from outside its code. */
import { createHash } from 'node:crypto';

export function naiveRoot(leaves: readonly Uint8Array[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return Buffer.from(leaves[0] as Uint8Array);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return createHash('sha256')
    .update(Buffer.from([1]))
    .update(naiveRoot(leaves.slice(0, k)))
    .update(naiveRoot(leaves.slice(k)))
    .digest();
}

export const naiveLeaf = (body: Uint8Array): Buffer =>
  createHash('sha256')
    .update(Buffer.from([0]))
    .update(body)
    .digest();
