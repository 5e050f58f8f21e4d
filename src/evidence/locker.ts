import { createHash } from 'node:crypto';
import { AttestryError } from '../core/errors.js';
import type { Clock, IdSource } from '../core/ids.js';
import { parseUlid } from '../core/ids.js';
import { parseDigest, type Digest } from '../core/digest.js';
import { authorize, writeTenant, type Principal } from '../authz/principal.js';
import type { BlobStore } from '../store/blob/blob-store.js';
import { parseTenantId } from '../core/tenant.js';
import { builtinKinds, type EvidenceKind } from '../kinds/builtin.js';
import { evidenceBlobKey, parseCasKey } from '../kinds/cas-layout.js';
import type { CasKey } from '../store/blob/cas-key.js';
import type { EvidenceRecord, EvidenceRepo, EvidenceRow, EvidenceSubject, InsertOutcome } from '../store/db/evidence-repo.js';
import type { EvidenceWriter } from './sqlite-writer.js';
import type { TrustedKeysRepo } from '../store/db/keys-repo.js';
import type { TenantsRepo } from '../store/db/tenants-repo.js';
import { parseEvidence } from './classify.js';
import { contentHandler } from './formats/index.js';
import type { KindRegistry } from '../kinds/registry.js';
import { planExtraBlobs, type ExtraBlob, type PlannedBlob } from './record-blobs.js';
import { GroupCommitter } from './group-commit.js';
import type { CandidateKey } from './trust.js';
import type { VerifyPool } from './verify-pool.js';
import type { KeyObject } from 'node:crypto';
import { buildLogBundle } from '../tlog/bundle.js';
import type { TimestampAuthority } from '../tlog/tsa.js';
import { leafHash } from '../tlog/hash.js';
import type { LogReader } from '../tlog/log-reader.js';

/** Hooks for metrics; the locker itself knows nothing of Prometheus. */
export interface LockerEvents {
  casOperation(operation: 'put' | 'get' | 'delete', result: 'success' | 'failure' | 'integrity_failure'): void;
  evidenceStored(kind: EvidenceKind): void;
}

export interface LockerDeps {
  readonly tenants: TenantsRepo;
  readonly evidence: EvidenceRepo;
  /** Where batches are committed: the repo itself, or a writer thread (SQLite). */
  readonly writer: EvidenceWriter;
  readonly trustedKeys: TrustedKeysRepo;
  readonly blobs: BlobStore;
  /** The service's own public keys, trusted for every tenant. */
  readonly serviceKeys: () => readonly CandidateKey[];
  readonly clock: Clock;
  readonly ids: IdSource;
  /** Which switches stop writes or log entries, per kind (app/evidence-policy.ts); default: none. */
  readonly policy?: LockerPolicy | undefined;
  readonly verifier: VerifyPool;
  readonly events?: LockerEvents | undefined;
  /**
   * Transparency logging: on (entries appended by the writer; `tsa` the
   * timestamp authority whose tokens records carry), or off with the reason
   * responses give.
   */
  readonly transparency:
    | { readonly enabled: true; readonly log: LogReader; readonly logKey: KeyObject; readonly tsa?: TimestampAuthority | undefined }
    | { readonly enabled: false; readonly skipReason: string };
  /**
   * The kind registry: classification, access, blob keys (the primary and a
   * kind's extra blob roles for `putRecord`). Defaults to the built-in kinds.
   */
  readonly kinds?: KindRegistry | undefined;
}

/** What the configured switches allow now; every answer names the key that decided it. */
export interface LockerPolicy {
  /** Why every write is refused (the locker-wide switch), checked before the body is read. */
  readonly writesOff: string | undefined;
  /** Why a write of this kind is refused, or undefined. */
  writeRefusal(kind: string): string | undefined;
  /** Why a record of this kind is stored unlogged although the log runs, or undefined. */
  logSkipReason(kind: string): string | undefined;
}

/** A record a domain stores: a signed envelope (the primary blob) plus the raw blobs it covers. */
export interface RecordInput {
  /** The tenant to store under; defaults as for `put`. */
  readonly tenant?: string | undefined;
  /** The signed upload's bytes, in any format the locker accepts. */
  readonly envelope: Uint8Array;
  /** `envelope` already parsed by the caller (the same bytes). */
  readonly parsedJson?: unknown;
  /** Durable before the index commits, like the envelope; their roles are declared by the envelope's kind. */
  readonly extraBlobs: readonly ExtraBlob[];
  /**
   * The record's id (a ULID), when the domain names it (a batch or graph id,
   * so the blob keys follow the seed's layout). The caller reserves it first
   * (its own primary key): the locker refuses an id already used by another
   * record, and returns the stored one when it holds the same bytes.
   */
  readonly id?: string | undefined;
}

export interface StoredEvidence {
  readonly id: string;
  readonly created: boolean;
  readonly tenant: string;
  readonly kind: EvidenceKind;
  readonly digest: string;
  readonly subjects: readonly EvidenceSubject[];
  readonly signerKeyId: string;
  /** Index of the record's entry in the transparency log, null when it has none. */
  readonly logIndex: number | null;
  /** The entry's id in the log (hex leaf hash), as seed 000 names the field. */
  readonly rekorUuid: string | null;
  /** Why there is no log entry, when there is none. */
  readonly skipReason?: string | undefined;
}

export interface RetrievedEvidence {
  /** The index row, subjects included. */
  readonly row: EvidenceRow;
  readonly bytes: Buffer;
}

export interface FindQuery {
  readonly subject: string;
  readonly tenant?: string | undefined;
  readonly kind?: string | undefined;
  readonly after?: string | undefined;
  readonly limit?: number | undefined;
}

const notFound = (id: string) => () => new AttestryError('E_NOT_FOUND', `no attestation ${id}`);

/**
 * The evidence locker: verifies, stores and finds signed evidence. A write is
 * acknowledged only after the blob is durable and its index row committed;
 * the blob goes first, so a crash leaves at most an unreferenced blob, never
 * an index row without bytes.
 */
export class EvidenceLocker {
  readonly #deps: LockerDeps;
  readonly #kinds: KindRegistry;
  readonly #committer: GroupCommitter<EvidenceRecord, InsertOutcome>;
  /** Operations started and not finished; shutdown waits for them. */
  #active = 0;
  readonly #idleWaiters: (() => void)[] = [];

  constructor(deps: LockerDeps) {
    this.#deps = deps;
    this.#kinds = deps.kinds ?? builtinKinds();
    this.#committer = new GroupCommitter((records) => deps.writer.insertBatch(records));
  }

  /** `parsedJson` is `body` already parsed by the caller (it must be the same bytes). */
  async put(principal: Principal, requestedTenant: string | undefined, body: Uint8Array, parsedJson?: unknown): Promise<StoredEvidence> {
    return this.#track(() => this.#put(principal, requestedTenant, body, parsedJson, [], undefined));
  }

  /**
   * Stores a record of several blobs: the signed envelope is verified and
   * classified as `put` does, then every blob is written (extras first,
   * envelope last) and the index row, listing all of them, commits after.
   * A crash in between leaves only unreferenced blobs, which GC collects.
   */
  async putRecord(principal: Principal, input: RecordInput): Promise<StoredEvidence> {
    return this.#track(() =>
      this.#put(
        principal,
        input.tenant,
        input.envelope,
        input.parsedJson,
        input.extraBlobs,
        input.id === undefined ? undefined : parseUlid(input.id, 'id'),
      ),
    );
  }

  async #putBlob(key: CasKey, bytes: Uint8Array, digest: Digest): Promise<void> {
    const d = this.#deps;
    try {
      await d.blobs.put(key, bytes, digest);
      d.events?.casOperation('put', 'success');
    } catch (e) {
      d.events?.casOperation('put', 'failure');
      throw e;
    }
  }

  async #track<T>(operation: () => Promise<T>): Promise<T> {
    this.#active += 1;
    try {
      return await operation();
    } finally {
      this.#active -= 1;
      if (this.#active === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }

  async #put(
    principal: Principal,
    requestedTenant: string | undefined,
    body: Uint8Array,
    parsedJson: unknown,
    extraBlobs: readonly ExtraBlob[],
    chosenId: string | undefined,
  ): Promise<StoredEvidence> {
    const d = this.#deps;
    const writesOff = d.policy?.writesOff;
    if (writesOff !== undefined) throw new AttestryError('E_READ_ONLY', writesOff);
    const tenant = writeTenant(principal, requestedTenant === undefined ? undefined : parseTenantId(requestedTenant));
    if (principal.tenants === '*' && (await d.tenants.get(tenant)) === undefined) {
      throw new AttestryError('E_NOT_FOUND', `unknown tenant "${tenant}"`);
    }
    const parsed = parseEvidence(body, parsedJson, this.#kinds);
    authorize(principal, tenant, parsed.kind, 'write', notFound('(new)'), this.#kinds);
    const refusal = d.policy?.writeRefusal(parsed.kind);
    if (refusal !== undefined) throw new AttestryError('E_READ_ONLY', refusal);
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}` as const;
    // Re-uploads are verified like new ones (a key may have been revoked
    // since) and then resolve to the stored id through the unique index.
    const candidates = [...(await d.trustedKeys.active(tenant)), ...d.serviceKeys()];
    const {
      keyId: signerKeyId,
      logEntry,
      timestamp,
    } = await d.verifier.verify(parsed.content, parsed.keyHint, candidates, this.#logSkip(parsed.kind) === undefined);

    if (chosenId !== undefined) {
      const stored = await d.evidence.get(chosenId);
      if (stored !== undefined) {
        if (stored.tenant === tenant && stored.digest === digest) return this.#describe(stored, false);
        throw new AttestryError('E_CONFLICT', `record ${chosenId} exists with other content; a record id names one upload`);
      }
    }
    const id = chosenId ?? d.ids.next();
    const blobKey = evidenceBlobKey(parsed.kind, tenant, id, this.#kinds);
    const extras: PlannedBlob[] = planExtraBlobs(this.#kinds, parsed.kind, tenant, id, extraBlobs);
    for (const b of extras) await this.#putBlob(b.key, b.bytes, b.digest);
    await this.#putBlob(blobKey, body, digest);
    const record: EvidenceRecord = {
      id,
      tenant,
      kind: parsed.kind,
      mediaType: parsed.mediaType,
      payloadType: parsed.payloadType,
      predicateType: parsed.predicateType,
      blobKey,
      ...(extras.length === 0 ? {} : { blobs: [{ role: 'primary', key: blobKey }, ...extras.map((b) => ({ role: b.role, key: b.key }))] }),
      digest,
      size: body.length,
      principal: principal.role,
      signerKeyId,
      createdAt: d.clock.now().toISOString(),
      subjects: parsed.subjects,
      logEntry,
      ...(logEntry !== undefined && timestamp !== undefined ? { timestamp } : {}),
    };
    const outcome = await this.#committer.submit(record);
    if (!outcome.created) {
      // A concurrent identical upload won; ours are unreferenced copies.
      for (const key of [blobKey, ...extras.map((b) => b.key)]) await d.blobs.delete(key).catch(() => undefined);
      const winner = await d.evidence.get(outcome.id);
      if (winner === undefined) throw new AttestryError('E_INTERNAL', `attestation ${outcome.id} vanished during a concurrent upload`);
      return this.#describe(winner, false);
    }
    d.events?.evidenceStored(parsed.kind);
    const rekorUuid = logEntry === undefined || outcome.logIndex === null ? null : leafHash(logEntry).toString('hex');
    return {
      id,
      created: true,
      tenant,
      kind: parsed.kind,
      digest,
      subjects: parsed.subjects,
      signerKeyId,
      ...this.#logFields(outcome.logIndex, rekorUuid, parsed.kind),
    };
  }

  /** Why a record of this kind gets no log entry now: the log is off, or a switch of the kind's is. */
  #logSkip(kind: string): string | undefined {
    const t = this.#deps.transparency;
    return t.enabled ? this.#deps.policy?.logSkipReason(kind) : t.skipReason;
  }

  #logFields(
    logIndex: number | null,
    rekorUuid: string | null,
    kind: string,
  ): Pick<StoredEvidence, 'logIndex' | 'rekorUuid' | 'skipReason'> {
    if (logIndex !== null) return { logIndex, rekorUuid };
    return { logIndex: null, rekorUuid: null, skipReason: this.#logSkip(kind) ?? 'stored before transparency logging was enabled' };
  }

  /** Log index and entry id of a stored row (the id is read from the log). */
  async logInfo(row: EvidenceRow): Promise<Pick<StoredEvidence, 'logIndex' | 'rekorUuid' | 'skipReason'>> {
    const t = this.#deps.transparency;
    if (row.logIndex === null || row.logIndex === undefined || !t.enabled) return this.#logFields(row.logIndex ?? null, null, row.kind);
    const entry = await t.log.entry(row.logIndex);
    return this.#logFields(row.logIndex, entry === undefined ? null : entry.leafHash.toString('hex'), row.kind);
  }

  async #describe(row: EvidenceRow, created: boolean): Promise<StoredEvidence> {
    return {
      id: row.id,
      created,
      tenant: row.tenant,
      kind: row.kind,
      digest: row.digest,
      subjects: row.subjects,
      signerKeyId: row.signerKeyId,
      ...(await this.logInfo(row)),
    };
  }

  get(principal: Principal, rawId: string): Promise<RetrievedEvidence> {
    return this.#track(() => this.#get(principal, rawId));
  }

  async #get(principal: Principal, rawId: string): Promise<RetrievedEvidence> {
    const id = parseUlid(rawId, 'id');
    const d = this.#deps;
    const row = await d.evidence.get(id);
    if (row === undefined || !this.#kinds.has(row.kind)) throw notFound(id)();
    authorize(principal, row.tenant, row.kind, 'read', notFound(id), this.#kinds);
    let bytes: Buffer;
    try {
      bytes = await d.blobs.get(parseCasKey(row.blobKey, this.#kinds), parseDigest(row.digest, 'stored digest'));
      d.events?.casOperation('get', 'success');
    } catch (e) {
      const integrity = e instanceof AttestryError && (e.code === 'E_INTEGRITY' || e.code === 'E_NOT_FOUND');
      d.events?.casOperation('get', integrity ? 'integrity_failure' : 'failure');
      // The index says the bytes exist: their absence is damage, not "no such attestation".
      if (e instanceof AttestryError && e.code === 'E_NOT_FOUND') {
        throw new AttestryError('E_INTEGRITY', `stored blob for attestation ${id} is missing; it is not served`, { cause: e });
      }
      throw e;
    }
    return { row, bytes };
  }

  find(principal: Principal, query: FindQuery): Promise<{ items: EvidenceRow[]; next: string | undefined }> {
    return this.#track(() => this.#find(principal, query));
  }

  async #find(principal: Principal, query: FindQuery): Promise<{ items: EvidenceRow[]; next: string | undefined }> {
    const digest = parseDigest(query.subject, 'subject');
    let kinds: string[] = this.#kinds.kindsAllowed(principal.role, 'read');
    if (kinds.length === 0) throw new AttestryError('E_FORBIDDEN', `role ${principal.role} may not read evidence`);
    if (query.kind !== undefined) {
      if (this.#kinds.get(query.kind) === undefined)
        throw new AttestryError('E_INVALID_INPUT', `kind "${query.kind}" is not an evidence kind`);
      kinds = kinds.filter((k) => k === query.kind);
    }
    let tenants: readonly string[] | '*' = principal.tenants;
    if (query.tenant !== undefined) {
      const t = parseTenantId(query.tenant);
      // A tenant outside the token's reach simply has no results for it.
      tenants = principal.tenants === '*' || principal.tenants.includes(t) ? [t] : [];
    }
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
    const after = query.after === undefined ? undefined : parseUlid(query.after, 'after');
    const items = await this.#deps.evidence.findBySubject({ digest, tenants, kinds, after, limit: limit + 1 });
    const page = items.slice(0, limit);
    return { items: page, next: items.length > limit ? page[page.length - 1]?.id : undefined };
  }

  /**
   * Re-checks a stored record's signature now, against the keys an upload of
   * it would be checked against (the tenant's trusted keys that are active
   * today, and the service's own): the verify button's signature step. A key
   * revoked since the upload makes it fail, as a new upload would.
   */
  recheckSignature(principal: Principal, rawId: string): Promise<{ row: EvidenceRow; keyId: string; type: 'dsse' | 'message' }> {
    return this.#track(async () => {
      const { row, bytes } = await this.#get(principal, rawId);
      const parsed = parseEvidence(bytes, undefined, this.#kinds);
      const d = this.#deps;
      const candidates = [...(await d.trustedKeys.active(row.tenant)), ...d.serviceKeys()];
      const { keyId } = await d.verifier.verify(parsed.content, parsed.keyHint, candidates, false);
      return { row, keyId, type: parsed.content.type };
    });
  }

  /**
   * The stored envelope (or message signature) as a Sigstore bundle v0.3 carrying its log entry, an
   * inclusion proof and the current signed checkpoint: verifiable offline.
   */
  exportBundle(principal: Principal, rawId: string): Promise<Record<string, unknown>> {
    return this.#track(async () => {
      const { row, bytes } = await this.#get(principal, rawId);
      const t = this.#deps.transparency;
      const info = await this.logInfo(row);
      if (!t.enabled || info.logIndex === null)
        throw new AttestryError(
          'E_NOT_FOUND',
          `attestation ${row.id} has no transparency log entry: ${info.skipReason ?? 'logging is off'}`,
        );
      const parsed = parseEvidence(bytes, undefined, this.#kinds);
      const state = await t.log.state();
      const entry = await t.log.entry(info.logIndex);
      if (entry === undefined || info.logIndex >= state.size)
        throw new AttestryError('E_INTEGRITY', `log entry ${info.logIndex} of attestation ${row.id} is missing from the log`);
      const proof = await t.log.inclusion(info.logIndex, state.size, state);
      // Records logged before the TSA existed get a timestamp now: it proves
      // the signature existed at export time, later than it did, never earlier.
      const common = {
        hint: parsed.keyHint ?? row.signerKeyId,
        logIndex: info.logIndex,
        body: entry.body,
        proof,
        checkpoint: state.checkpoint,
        logKey: t.logKey,
      };
      const handler = contentHandler(parsed.content);
      const timestamp = row.timestamp ?? t.tsa?.timestampSignature(handler.loggedSignature(parsed.content, entry.body));
      return buildLogBundle({ ...common, ...handler.loggedContent(parsed.content), timestamp });
    });
  }

  /** Waits until every operation already started has finished (graceful shutdown). */
  async drain(): Promise<void> {
    if (this.#active > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    await this.#committer.idle();
  }
}
