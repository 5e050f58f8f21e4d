/**
 * RFC 6962 §2.1.1 (RFC 9162 §2.1.3.2): the root an inclusion proof (audit
 * path, leaf to root) leads to, computed in the browser with WebCrypto. The
 * log page compares it with the root of a checkpoint whose signature it also
 * checks here, from a leaf it hashes here from the entry's body.
 */
const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
function unhex(s: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(s)) throw new Error(`not a SHA-256 hash in hex: ${s.slice(0, 80)}`);
  return new Uint8Array((s.match(/../g) ?? []).map((h) => parseInt(h, 16)));
}

async function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  const buf = new Uint8Array(1 + left.length + right.length);
  buf[0] = 1;
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
}

export async function rootFromInclusionProof(index: number, size: number, leafHex: string, proofHex: readonly string[]): Promise<string> {
  if (index < 0 || index >= size) throw new Error(`index ${index} is outside a tree of ${size}`);
  let fn = index;
  let sn = size - 1;
  let r = unhex(leafHex);
  for (const p of proofHex.map(unhex)) {
    if (sn === 0) throw new Error('the proof is longer than the tree is deep');
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Error('the proof is shorter than the tree is deep');
  return hex(r);
}
