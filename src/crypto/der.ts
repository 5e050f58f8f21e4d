/**
 * The few DER encoders needed to write a PKCS#8 EncryptedPrivateKeyInfo
 * (RFC 5958 §3) with PBES2 (RFC 8018 §6.2) and scrypt (RFC 7914 §7).
 * Decoding is left to OpenSSL through node:crypto.
 */

function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

export function derSequence(...items: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(items));
}

export function derOctetString(bytes: Uint8Array): Buffer {
  return tlv(0x04, Buffer.from(bytes));
}

/** Non-negative INTEGER, minimal two's-complement encoding. */
export function derInteger(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`DER integer out of range: ${n}`);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (bytes.length === 0 || (bytes[0]! & 0x80) !== 0) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
}

export function derOid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const [a, b, ...rest] = arcs;
  if (a === undefined || b === undefined) throw new RangeError(`bad OID ${dotted}`);
  const out: number[] = [a * 40 + b];
  for (const arc of rest) {
    const groups: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80);
    out.push(...groups);
  }
  return tlv(0x06, Buffer.from(out));
}

export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** BIT STRING with no unused bits (SubjectPublicKeyInfo's subjectPublicKey). */
export function derBitString(bytes: Uint8Array): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.of(0), Buffer.from(bytes)]));
}

/** INTEGER from unsigned big-endian bytes (ECDSA r and s), minimal encoding. */
export function derUnsignedInteger(bytes: Uint8Array): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const body = Buffer.from(bytes.subarray(i));
  return tlv(0x02, body.length > 0 && (body[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.of(0), body]) : body);
}
