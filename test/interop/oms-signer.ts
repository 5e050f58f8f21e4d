/**
 * An independent OMS v1.0 signer, written from the specification
 * (github.com/ossf/model-signing-spec, spec/v1.0.md §5–§7) and the DSSE and
 * Sigstore bundle specifications, sharing no code with attestry's signer:
 * its own file walk, hashing, statement JSON (not RFC 8785), PAE and bundle.
 * ECDSA keys, hash matching the curve, DER signatures. Used to check that
 * attestry verifies what another implementation writes, whatever key hint it
 * puts in the bundle.
 */
import { createHash, sign, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type HintStyle = 'der-sha256' | 'none' | 'garbage';

export interface OmsSignOptions {
  modelDir: string;
  output: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  method: 'files' | 'shards';
  /** Shards: bytes per shard. */
  shardSize?: number;
  hint: HintStyle;
}

function files(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    const st = statSync(join(dir, name));
    if (st.isDirectory()) out.push(...files(join(dir, name), rel));
    else out.push(rel);
  }
  return out;
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Signs `modelDir` as OMS v1.0 and writes a Sigstore bundle v0.3 with a DSSE envelope. */
export function signOms(o: OmsSignOptions): void {
  const resources: { name: string; algorithm: string; digest: string }[] = [];
  for (const rel of files(o.modelDir)) {
    const data = readFileSync(join(o.modelDir, ...rel.split('/')));
    if (o.method === 'files') {
      resources.push({ name: rel, algorithm: 'sha256', digest: sha256(data) });
    } else {
      const size = o.shardSize ?? 1_000_000_000;
      // §6.3.2: "<path>:<start>:<end>", the algorithm spelled as the hash (the spec's schema).
      for (let start = 0; start < data.length; start += size) {
        const end = Math.min(start + size, data.length);
        resources.push({ name: `${rel}:${start}:${end}`, algorithm: 'sha256', digest: sha256(data.subarray(start, end)) });
      }
    }
  }
  // §6.5.1: the subject digest is SHA-256 over the concatenated raw resource digests.
  const root = sha256(Buffer.concat(resources.map((r) => Buffer.from(r.digest, 'hex'))));
  const serialization: Record<string, unknown> = { method: o.method, hash_type: 'sha256', allow_symlinks: false };
  if (o.method === 'shards') serialization['shard_size'] = o.shardSize ?? 1_000_000_000;
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'independent-model', digest: { sha256: root } }],
    predicateType: 'https://model_signing/signature/v1.0',
    predicate: { serialization, resources },
  };
  const payload = Buffer.from(JSON.stringify(statement, null, 2), 'utf8');
  const payloadType = 'application/vnd.in-toto+json';
  // DSSE protocol.md: PAE = "DSSEv1" SP len(type) SP type SP len(body) SP body.
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} `, 'utf8'), payload]);
  const curve = o.privateKey.asymmetricKeyDetails?.namedCurve;
  const hash = curve === 'secp384r1' ? 'sha384' : curve === 'secp521r1' ? 'sha512' : 'sha256';
  const sig = sign(hash, pae, o.privateKey);
  const der = o.publicKey.export({ type: 'spki', format: 'der' });
  const publicKey: Record<string, string> = {};
  if (o.hint === 'der-sha256') publicKey['hint'] = sha256(der);
  if (o.hint === 'garbage') publicKey['hint'] = 'key-2024-rotation#3 (ask ops)';
  const bundle = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey, tlogEntries: [] },
    dsseEnvelope: { payload: payload.toString('base64'), payloadType, signatures: [{ sig: sig.toString('base64'), keyid: '' }] },
  };
  writeFileSync(o.output, JSON.stringify(bundle));
}
