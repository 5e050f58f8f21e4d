import type { PublicKeyHandle } from '../crypto/keys.js';
import { authorize, type Principal } from '../authz/principal.js';
import type { Digest } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import { parseUlid } from '../core/ids.js';
import { parseTenantId } from '../core/tenant.js';
import { parseEnvelope } from '../crypto/dsse.js';
import type { RetrievedEvidence } from '../evidence/locker.js';
import { parseJsonText } from '../core/validation.js';
import type { CallgraphCursor, CallgraphRow, CallgraphsRepo } from '../store/db/callgraphs-repo.js';
import { counted, manifestKey } from './callgraph-blobs.js';
import type { SignalsDeps } from './deps.js';
import {
  envelopeMatchesManifest,
  orderedManifest,
  parseManifestBytes,
  unsignedManifest,
  verifyManifestSignature,
  type ManifestFields,
} from './manifest.js';
import { parsePurl } from './purl.js';
import type { CallgraphManifest } from './types.js';

const notFound = (id: string) => () => new AttestryError('E_NOT_FOUND', `no callgraph ${id}`);
const integrity = (id: string, why: string, cause?: unknown): AttestryError =>
  new AttestryError('E_INTEGRITY', `callgraph ${id}: ${why}; it is not served`, cause === undefined ? {} : { cause });

/** The service reading for one tenant (the caller was authorised first). */
const reader = (tenant: string): Principal => ({ tokenId: 'signals-read', role: 'signals-service', tenants: [tenant] });

/**
 * The read side of callgraphs: who may see a graph (§3.2, tenants as in the
 * locker: another tenant's graph is "not found"), its manifest checked
 * against its signature (§10 rule 7), and the by-PURL listing.
 */
export class CallgraphReads {
  constructor(
    private readonly d: SignalsDeps,
    private readonly repo: CallgraphsRepo,
  ) {}

  /** The stored row, if the caller may `read` it as `kind`; unacknowledged intents do not exist for readers. */
  async visible(principal: Principal, rawId: string, kind: 'callgraphs' | 'manifests'): Promise<CallgraphRow> {
    const id = parseUlid(rawId, 'graphId');
    const row = await this.repo.get(id);
    if (row === undefined || row.state !== 'stored') throw notFound(id)();
    authorize(principal, row.tenant, kind, 'read', notFound(id), this.d.kinds);
    return row;
  }

  /**
   * The stored manifest (`manifests/{id}.json`, digest-checked) with its log
   * fields. With `verify`, while `Signals.Provenance.SignManifests` is on, a
   * signed manifest must match its locker envelope and its signature must
   * verify, else E_INTEGRITY. Manifests stored unsigned (signing was off)
   * are served as such, with their skipReason.
   */
  async manifestOf(row: CallgraphRow, verify: boolean): Promise<CallgraphManifest> {
    const d = this.d;
    const key = manifestKey(d, row.tenant, row.graphId);
    let bytes: Buffer;
    try {
      bytes = await counted(d, 'get', () => d.blobs.get(key, row.manifestDigest as Digest));
    } catch (e) {
      if (e instanceof AttestryError && e.code === 'E_NOT_FOUND') throw integrity(row.graphId, `its manifest blob ${key} is missing`, e);
      throw e;
    }
    const m = parseManifestBytes(bytes, `stored manifest of callgraph ${row.graphId}`, 'E_INTEGRITY');
    if (m.graphId !== row.graphId || m.tenantId !== row.tenant || m.digest !== row.digest)
      throw integrity(row.graphId, 'its stored manifest names another graph, tenant or digest');
    if (m.signature === null || !verify || d.switches.manifestSigningOff !== undefined) {
      return orderedManifest({ ...m, rekorUuid: row.rekorUuid, ...(row.skipReason === null ? {} : { skipReason: row.skipReason }) });
    }
    const stored = await this.#lockerRecord(row);
    const envelope = parseEnvelope(parseJsonText(stored.bytes.toString('utf8'), 'manifest envelope', 'E_INTEGRITY'));
    if (!envelopeMatchesManifest(envelope, m)) throw integrity(row.graphId, 'its manifest differs from the signed envelope in the locker');
    const publicKey = this.#keyOf(m.signerKeyId as string);
    if (publicKey === undefined)
      throw integrity(
        row.graphId,
        `its manifest is signed by key ${m.signerKeyId}, which this service does not hold, so it cannot be verified`,
      );
    if (!verifyManifestSignature(m, publicKey))
      throw integrity(row.graphId, `the manifest signature does not verify with key ${m.signerKeyId} (seed 000 §10 rule 7)`);
    const log = await d.locker.logInfo(stored.row);
    const skipReason = log.rekorUuid === null ? (row.skipReason ?? log.skipReason) : undefined;
    return orderedManifest({ ...m, rekorUuid: log.rekorUuid, ...(skipReason === undefined ? {} : { skipReason }) });
  }

  #keyOf(keyId: string): PublicKeyHandle | undefined {
    return keyId === this.d.signerKeyId ? this.d.signer.publicKey : this.d.publicKeyOf?.(keyId);
  }

  /** The manifest's DSSE envelope as the locker stores it; an unsigned manifest has none (404 saying why). */
  async envelope(row: CallgraphRow): Promise<Buffer> {
    if (row.signature === null)
      throw new AttestryError(
        'E_NOT_FOUND',
        `callgraph ${row.graphId} has an unsigned manifest: ${row.skipReason ?? 'it was stored unsigned'}`,
      );
    return (await this.#lockerRecord(row)).bytes;
  }

  /** The manifest's locker record; a stored signed row without one is damage (E_INTEGRITY), not "no such graph". */
  async #lockerRecord(row: CallgraphRow): Promise<RetrievedEvidence> {
    try {
      return await this.d.locker.get(reader(row.tenant), row.graphId);
    } catch (e) {
      if (e instanceof AttestryError && e.code === 'E_NOT_FOUND')
        throw integrity(row.graphId, 'its signed manifest is missing from the evidence locker', e);
      throw e;
    }
  }

  /**
   * Stored callgraphs of a component, newest first: a PURL with a version
   * matches that version, one without matches every version (type,
   * namespace and name compared in their normalised form).
   */
  async findByPurl(
    principal: Principal,
    rawPurl: string,
    query: { tenant?: string | undefined; limit?: number | undefined; cursor?: string | undefined },
  ): Promise<{ items: CallgraphManifest[]; next: string | undefined }> {
    if (!this.d.kinds.can(principal.role, 'callgraphs', 'read'))
      throw new AttestryError('E_FORBIDDEN', `role ${principal.role} may not read callgraphs`, {
        details: { role: principal.role, kind: 'callgraphs', action: 'read' },
      });
    const purl = parsePurl(decodePurl(rawPurl), 'purl');
    let tenants: readonly string[] | '*' = principal.tenants;
    if (query.tenant !== undefined) {
      const t = parseTenantId(query.tenant);
      // A tenant outside the token's reach simply has no results for it.
      tenants = principal.tenants === '*' || principal.tenants.includes(t) ? [t] : [];
    }
    const limit = Math.min(Math.max(Math.trunc(query.limit ?? 100), 1), 1000);
    const rows = await this.repo.findByPurl({
      tenants,
      purlKey: purl.key,
      version: purl.version,
      after: query.cursor === undefined ? undefined : parseCursor(query.cursor),
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(listedManifest),
      next: rows.length > limit && last !== undefined ? encodeCursor({ createdAt: last.createdAt, graphId: last.graphId }) : undefined,
    };
  }
}

/** The manifest a row describes (without log fields): what was signed, rebuilt field by field. */
export function manifestOfRow(row: CallgraphRow): CallgraphManifest {
  const fields = fieldsOfRow(row);
  return row.signature === null
    ? unsignedManifest(fields, row.skipReason ?? 'unsigned')
    : orderedManifest({ ...fields, signerKeyId: row.signerKeyId, signature: row.signature, rekorUuid: null });
}

/** A listing's manifest, from the index row (GET …/manifest verifies the stored one). */
function listedManifest(row: CallgraphRow): CallgraphManifest {
  return orderedManifest({
    ...fieldsOfRow(row),
    signerKeyId: row.signerKeyId,
    signature: row.signature,
    rekorUuid: row.rekorUuid,
    ...(row.skipReason === null ? {} : { skipReason: row.skipReason }),
  });
}

/** The signed fields of a manifest, as the index row holds them. */
function fieldsOfRow(row: CallgraphRow): ManifestFields {
  return {
    graphId: row.graphId,
    digest: row.digest,
    language: row.language,
    source: row.source,
    createdAt: row.createdAt,
    tenantId: row.tenant,
    componentPurl: row.componentPurl,
    entryPoints: row.entryPoints,
    nodeCount: row.nodeCount,
    edgeCount: row.edgeCount,
  };
}

/** The by-purl path segment may arrive still percent-encoded as a whole (`pkg%3Anpm%2F…`). */
function decodePurl(value: string): string {
  if (/^pkg:/i.test(value) || !value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    throw new AttestryError('E_INVALID_INPUT', `purl: "${value.slice(0, 120)}" is neither a Package URL nor a URL-encoded one`);
  }
}

function encodeCursor(c: CallgraphCursor): string {
  return Buffer.from(JSON.stringify([c.createdAt, c.graphId]), 'utf8').toString('base64url');
}

function parseCursor(value: string): CallgraphCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && !Number.isNaN(Date.parse(parsed[0])))
    return { createdAt: parsed[0], graphId: parseUlid(parsed[1], 'cursor') };
  throw new AttestryError('E_INVALID_INPUT', 'cursor: not a cursor this service issued (pass the `next` of the previous page)');
}
