/**
 * A minimal TUF repository on 127.0.0.1 serving one target, `trusted_root.json`,
 * so `attestry trust refresh --mirror URL --initial-root root.json` can run its
 * whole path (root, timestamp, snapshot, targets, target hash) without the
 * network. One Ed25519 key holds every role; metadata follows the TUF 1.0
 * specification (§4 "Document formats"), signed over OLPC canonical JSON,
 * which for these objects (ASCII strings, integers) is JSON with sorted keys
 * and no whitespace.
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface TufRepo {
  url: string;
  /** root.json version 1, to give as --initial-root. */
  rootJson: string;
  close(): Promise<void>;
}

export async function startTufRepo(targetBytes: Buffer): Promise<TufRepo> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const key = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: raw.toString('hex') } };
  const keyid = createHash('sha256').update(canonical(key)).digest('hex');
  const expires = new Date(Date.now() + 365 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const common = { spec_version: '1.0.31', version: 1, expires };
  const role = { keyids: [keyid], threshold: 1 };
  const signed = (body: Record<string, unknown>): string =>
    JSON.stringify({ signed: body, signatures: [{ keyid, sig: sign(null, Buffer.from(canonical(body)), privateKey).toString('hex') }] });

  const targetHash = createHash('sha256').update(targetBytes).digest('hex');
  const root = signed({
    _type: 'root',
    ...common,
    consistent_snapshot: true,
    keys: { [keyid]: key },
    roles: { root: role, targets: role, snapshot: role, timestamp: role },
  });
  const targets = signed({
    _type: 'targets',
    ...common,
    targets: { 'trusted_root.json': { length: targetBytes.length, hashes: { sha256: targetHash } } },
  });
  const snapshot = signed({ _type: 'snapshot', ...common, meta: { 'targets.json': { version: 1 } } });
  const timestamp = signed({ _type: 'timestamp', ...common, meta: { 'snapshot.json': { version: 1 } } });
  const files = new Map<string, string | Buffer>([
    ['/1.root.json', root],
    ['/timestamp.json', timestamp],
    ['/1.snapshot.json', snapshot],
    ['/1.targets.json', targets],
    [`/targets/${targetHash}.trusted_root.json`, targetBytes],
  ]);

  const server: Server = createServer((request, response) => {
    const body = files.get(new URL(request.url ?? '/', 'http://x').pathname);
    if (body === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    rootJson: root,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
