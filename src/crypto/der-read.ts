/**
 * A strict DER reader, just enough for the GOST key encodings that OpenSSL
 * (and so node:crypto) cannot parse. Key files are untrusted input: every
 * length is checked against the buffer and must be minimally encoded.
 */
import { AttestryError } from '../core/errors.js';

export interface Tlv {
  readonly tag: number;
  readonly body: Buffer;
  /** Offset just past this element in the buffer it was read from. */
  readonly end: number;
}

function bad(source: string, what: string): AttestryError {
  return new AttestryError('E_KEY_FORMAT', `${source} is not valid DER (${what})`);
}

/** Reads one element at `at`; multi-byte tags are refused (none occur in keys). */
export function readTlv(buf: Buffer, at: number, source: string): Tlv {
  if (at + 2 > buf.length) throw bad(source, 'truncated');
  const tag = buf[at]!;
  if ((tag & 0x1f) === 0x1f) throw bad(source, 'multi-byte tag');
  let len = buf[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > buf.length) throw bad(source, 'bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    if (len < 0x80 || buf[start] === 0) throw bad(source, 'non-minimal length');
    start += n;
  }
  if (start + len > buf.length) throw bad(source, 'truncated');
  return { tag, body: buf.subarray(start, start + len), end: start + len };
}

/** Decodes a buffer holding exactly one element. */
export function decodeDer(bytes: Uint8Array, source: string): Tlv {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const t = readTlv(buf, 0, source);
  if (t.end !== buf.length) throw bad(source, 'trailing bytes');
  return t;
}

/** The children of a constructed element with the given tag. */
export function derChildren(t: Tlv, tag: number, source: string): Tlv[] {
  if (t.tag !== tag) throw bad(source, `expected tag 0x${tag.toString(16)}, found 0x${t.tag.toString(16)}`);
  const out: Tlv[] = [];
  for (let at = 0; at < t.body.length;) {
    const c = readTlv(t.body, at, source);
    out.push(c);
    at = c.end;
  }
  return out;
}

export function oidOf(t: Tlv | undefined, source: string): string {
  if (t === undefined || t.tag !== 0x06 || t.body.length === 0) throw bad(source, 'expected an OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let v = 0;
  for (let i = 0; i < t.body.length; i++) {
    const b = t.body[i]!;
    if (v === 0 && b === 0x80) throw bad(source, 'non-minimal OID arc');
    v = v * 128 + (b & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 128) throw bad(source, 'OID arc too large');
    if ((b & 0x80) === 0) {
      arcs.push(v);
      v = 0;
    }
  }
  if ((t.body[t.body.length - 1]! & 0x80) !== 0) throw bad(source, 'truncated OID');
  const first = arcs[0]!;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

/** The DER inside a PEM block with this label, or undefined when there is none. */
export function pemBody(pem: string, label: string): Buffer | undefined {
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(pem);
  return m === null ? undefined : Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
}
