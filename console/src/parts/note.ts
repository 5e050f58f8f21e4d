/**
 * C2SP signed notes, checked in the browser with WebCrypto Ed25519: the log
 * key as its verifier-key text (`name+hash+base64(0x01 ‖ key)`), a
 * checkpoint note's signature lines (`— name base64(keyid ‖ signature)`), and
 * the checkpoint body's tree size and root. The console shows the log key it
 * checked against, so it can be compared with the one pinned elsewhere.
 */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHex: string;
}

const b64 = (s: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
const SIG_ED25519 = 1;

function parseVerifierKey(vkey: string): { name: string; keyId: number; publicKey: Uint8Array<ArrayBuffer> } {
  // The key is base64, which has '+' of its own: split at the first two only.
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+=*)$/.exec(vkey);
  if (m === null) throw new Error('the log key is not a verifier key (name+hash+key)');
  const [, name, hash, key] = m as unknown as [string, string, string, string];
  const bytes = b64(key);
  if (bytes[0] !== SIG_ED25519 || bytes.length !== 33) throw new Error('the log key is not an Ed25519 note key');
  return { name, keyId: parseInt(hash, 16), publicKey: bytes.slice(1) };
}

/** The body's origin, size and root; throws on anything but a checkpoint. */
export function checkpointOf(note: string): Checkpoint {
  const end = note.indexOf('\n\n');
  const lines = (end < 0 ? note : note.slice(0, end)).split('\n');
  const [origin, size, root] = lines;
  if (origin === undefined || size === undefined || root === undefined || !/^(0|[1-9][0-9]*)$/.test(size))
    throw new Error('not a checkpoint: needs origin, tree size and root hash lines');
  const rootBytes = b64(root);
  if (rootBytes.length !== 32) throw new Error('the checkpoint root is not 32 bytes');
  return { origin, size: Number(size), rootHex: hex(rootBytes) };
}

/** Whether the log key signed this note: its line found by name and key id, the Ed25519 signature checked here. */
export async function logSignatureVerifies(note: string, vkey: string): Promise<boolean> {
  const key = parseVerifierKey(vkey);
  const end = note.indexOf('\n\n');
  if (end < 0) return false;
  const body = new TextEncoder().encode(note.slice(0, end + 1));
  const cryptoKey = await crypto.subtle.importKey('raw', key.publicKey, { name: 'Ed25519' }, false, ['verify']);
  for (const line of note.slice(end + 2).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (m === null || m[1] !== key.name) continue;
    const sig = b64(m[2]!);
    if (sig.length !== 68) continue;
    const keyId = ((sig[0]! << 24) | (sig[1]! << 16) | (sig[2]! << 8) | sig[3]!) >>> 0;
    if (keyId !== key.keyId) continue;
    return crypto.subtle.verify({ name: 'Ed25519' }, cryptoKey, sig.slice(4), body);
  }
  return false;
}

/** RFC 6962 leaf hash of an entry body: SHA-256(0x00 ‖ body). */
export async function leafHashOf(bodyBase64: string): Promise<string> {
  const body = b64(bodyBase64);
  const buf = new Uint8Array(1 + body.length);
  buf.set(body, 1);
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', buf)));
}
