import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { AttestryError } from '../core/errors.js';

/**
 * C2SP signed-note (https://c2sp.org/signed-note): text, a blank line, then
 * lines "— <name> base64(keyID[4] || signature)". Ed25519 note keys (type
 * 0x01) sign the text; Ed25519 cosigners (type 0x04, c2sp.org/tlog-cosignature)
 * sign "cosignature/v1\ntime <t>\n" + text.
 */
export const SIG_ED25519 = 0x01;
export const SIG_COSIGNATURE_V1 = 0x04;
const MAX_SIGNATURES = 64;
const MAX_NOTE_BYTES = 1 << 20;

export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  readonly signature: Buffer;
}

export interface SignedNote {
  /** The signed text, final newline included. */
  readonly text: string;
  readonly signatures: NoteSignature[];
}

export interface NoteVerifierKey {
  readonly name: string;
  readonly keyId: number;
  readonly type: number;
  readonly publicKey: KeyObject;
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function ed25519Raw(key: KeyObject): Buffer {
  const der = (key.type === 'public' ? key : createPublicKey(key)).export({ type: 'spki', format: 'der' });
  if (der.length !== 44 || !der.subarray(0, 12).equals(ED25519_SPKI_PREFIX)) {
    throw new AttestryError('E_KEY_UNSUPPORTED', 'note keys must be Ed25519');
  }
  return der.subarray(12);
}

export function ed25519FromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new AttestryError('E_KEY_FORMAT', `an Ed25519 public key is 32 bytes, got ${raw.length}`);
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

function checkName(name: string): void {
  if (name.length === 0 || /[\s+]/u.test(name) || /[\u0000-\u001f]/.test(name)) {
    throw new AttestryError('E_INVALID_INPUT', `note key name "${name.slice(0, 80)}" must be non-empty without spaces or "+"`);
  }
}

/** key ID = SHA-256(name || 0x0A || type || public key)[:4], big-endian (signed-note "Signatures"). */
export function noteKeyId(name: string, type: number, raw: Uint8Array): number {
  return createHash('sha256')
    .update(name)
    .update(Buffer.from([0x0a, type]))
    .update(raw)
    .digest()
    .readUInt32BE(0);
}

/** The vkey text: `<name>+<hex key ID>+<base64(type || public key)>`. */
export function formatVerifierKey(name: string, publicKey: KeyObject, type = SIG_ED25519): string {
  checkName(name);
  const raw = ed25519Raw(publicKey);
  return `${name}+${noteKeyId(name, type, raw).toString(16).padStart(8, '0')}+${Buffer.concat([Buffer.from([type]), raw]).toString('base64')}`;
}

export function parseVerifierKey(vkey: string): NoteVerifierKey {
  const bad = (why: string) => new AttestryError('E_KEY_FORMAT', `verifier key "${vkey.slice(0, 120)}": ${why}`);
  // Split at the first two "+" only: standard base64 may itself contain "+".
  const text = vkey.trim();
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) throw bad('expected <name>+<hex id>+<base64 key>');
  const [name, hexId, b64] = [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
  checkName(name);
  if (!/^[0-9a-f]{8}$/.test(hexId)) throw bad('key ID must be 8 lowercase hex digits');
  const material = Buffer.from(b64, 'base64');
  if (material.toString('base64') !== b64 || material.length < 1) throw bad('key material is not base64');
  const type = material[0] as number;
  if (type !== SIG_ED25519 && type !== SIG_COSIGNATURE_V1)
    throw bad(`signature type 0x${type.toString(16)} is not supported (Ed25519 0x01, cosignature 0x04)`);
  const raw = material.subarray(1);
  const publicKey = ed25519FromRaw(raw);
  const keyId = noteKeyId(name, type, raw);
  if (keyId !== parseInt(hexId, 16)) throw bad('key ID does not match the name and key');
  return { name, keyId, type, publicKey };
}

/** Parses a signed note; rejects control characters, a missing blank line and malformed signature lines. */
export function parseNote(text: string): SignedNote {
  const bad = (why: string) => new AttestryError('E_SIGNATURE_INVALID', `signed note: ${why}`);
  if (Buffer.byteLength(text) > MAX_NOTE_BYTES) throw bad('larger than 1 MiB');
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text)) throw bad('contains control characters');
  const split = text.lastIndexOf('\n\n');
  if (split < 0 || !text.endsWith('\n')) throw bad('no blank line before the signatures, or no final newline');
  const body = text.slice(0, split + 1);
  const lines = text.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw bad(`more than ${MAX_SIGNATURES} signatures`);
  const signatures = lines.map((line) => {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/.exec(line);
    if (m === null) throw bad(`malformed signature line "${line.slice(0, 80)}"`);
    const bytes = Buffer.from(m[2] as string, 'base64');
    if (bytes.length < 5) throw bad('signature too short');
    return { name: m[1] as string, keyId: bytes.readUInt32BE(0), signature: bytes.subarray(4) };
  });
  return { text: body, signatures };
}

export function formatNote(note: SignedNote): string {
  const lines = note.signatures.map((s) => {
    const id = Buffer.alloc(4);
    id.writeUInt32BE(s.keyId);
    return `\u2014 ${s.name} ${Buffer.concat([id, s.signature]).toString('base64')}\n`;
  });
  return `${note.text}\n${lines.join('')}`;
}

/** A log's note signer: an Ed25519 private key under a key name (the log origin). */
export class NoteSigner {
  readonly name: string;
  readonly publicKey: KeyObject;
  readonly keyId: number;
  readonly #privateKey: KeyObject;

  constructor(name: string, privateKeyPem: string | KeyObject) {
    checkName(name);
    this.name = name;
    this.#privateKey = typeof privateKeyPem === 'string' ? createPrivateKey(privateKeyPem) : privateKeyPem;
    this.publicKey = createPublicKey(this.#privateKey);
    this.keyId = noteKeyId(name, SIG_ED25519, ed25519Raw(this.publicKey));
  }

  get verifierKey(): string {
    return formatVerifierKey(this.name, this.publicKey);
  }

  sign(text: string): NoteSignature {
    return { name: this.name, keyId: this.keyId, signature: sign(null, Buffer.from(text), this.#privateKey) };
  }

  /** A c2sp.org/tlog-cosignature/v1 signature over a checkpoint body (this key acting as a witness). */
  cosign(text: string, timestamp: number): NoteSignature {
    const raw = ed25519Raw(this.publicKey);
    const sig = sign(null, cosignedMessage(text, timestamp), this.#privateKey);
    const ts = Buffer.alloc(8);
    ts.writeBigUInt64BE(BigInt(timestamp));
    return { name: this.name, keyId: noteKeyId(this.name, SIG_COSIGNATURE_V1, raw), signature: Buffer.concat([ts, sig]) };
  }
}

/** `name+<8-hex key id>`, the first two fields of a vkey: how errors name a key, so a changed key is visible. */
export function keyLabel(name: string, keyId: number): string {
  return `${name}+${keyId.toString(16).padStart(8, '0')}`;
}

/** The keys that signed a note, for error messages (names are clipped; they come from the note). */
export function signersOf(note: SignedNote): string {
  return note.signatures.map((s) => keyLabel(s.name.slice(0, 80), s.keyId)).join(', ') || 'none';
}

function cosignedMessage(text: string, timestamp: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${text}`);
}

/**
 * Verifies a note against known keys: signatures from unknown keys are
 * ignored, a known key's bad signature rejects the note, and at least one
 * known key must have signed (signed-note "Signatures"). Returns the keys that
 * verified (with the cosignature time, for witnesses).
 */
export function verifyNote(note: SignedNote, keys: readonly NoteVerifierKey[]): { key: NoteVerifierKey; timestamp?: number }[] {
  const verified: { key: NoteVerifierKey; timestamp?: number }[] = [];
  for (const s of note.signatures) {
    const key = keys.find((k) => k.name === s.name && k.keyId === s.keyId);
    if (key === undefined) continue;
    // A key counts once however many lines it signed (as Go's note.Open): a
    // repeated cosignature must not count towards a witness quorum twice.
    if (verified.some((v) => v.key === key)) continue;
    if (key.type === SIG_ED25519) {
      if (!verify(null, Buffer.from(note.text), key.publicKey, s.signature)) {
        throw new AttestryError('E_SIGNATURE_INVALID', `signed note: the signature by ${keyLabel(key.name, key.keyId)} does not verify`);
      }
      verified.push({ key });
    } else {
      if (s.signature.length !== 72)
        throw new AttestryError('E_SIGNATURE_INVALID', `signed note: cosignature by ${keyLabel(key.name, key.keyId)} is not 8 + 64 bytes`);
      const timestamp = Number(s.signature.readBigUInt64BE(0));
      if (!verify(null, cosignedMessage(note.text, timestamp), key.publicKey, s.signature.subarray(8))) {
        throw new AttestryError('E_SIGNATURE_INVALID', `signed note: the cosignature by ${keyLabel(key.name, key.keyId)} does not verify`);
      }
      verified.push({ key, timestamp });
    }
  }
  if (verified.length === 0) {
    throw new AttestryError(
      'E_SIGNATURE_INVALID',
      `signed note: no signature by a known key: signed by ${signersOf(note)}; expected ${keys.map((k) => keyLabel(k.name, k.keyId)).join(', ') || 'none configured'}`,
    );
  }
  return verified;
}
