/**
 * The AI audit trail (seed 002 "Audit Trail"): one record per generation,
 * verification and replay, per tenant a hash chain (each record carries the
 * previous record's digest), each record signed and stored as an
 * `ai-audit-records` locker record so it is in the transparency log. The
 * unique (tenant, sequence) key decides a race; the loser re-reads the head.
 */
import type { Principal } from '../authz/principal.js';
import { canonicalBytes } from '../core/canonical-json.js';
import { sha256Digest, type Digest } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import type { Clock, IdSource } from '../core/ids.js';
import { parseJsonText } from '../core/validation.js';
import { signEnvelope, verifyEnvelope, parseEnvelope } from '../crypto/dsse.js';
import type { Signer, Verifier } from '../crypto/signer.js';
import type { EvidenceLocker } from '../evidence/locker.js';
import type { AiAuditRow, AiRepo } from '../store/db/ai-repo.js';
import { MAX_AUDIT_READ } from '../store/db/ai-repo.js';
import { AI_AUDIT_PAYLOAD_TYPE, type AuditRecord } from './types.js';
import type { AuditVerification, StoredAuditRecord } from './use-cases.js';

const MAX_ATTEMPTS = 20;

export type AuditInput = Omit<AuditRecord, 'timestamp' | 'sequence' | 'previousDigest' | 'tenant' | 'user' | 'role'>;

export const auditDigestOf = (record: AuditRecord): Digest => sha256Digest(canonicalBytes(record));

export const aiServicePrincipal = (tenant: string): Principal => ({ tokenId: 'ai-service', role: 'ai-service', tenants: [tenant] });

export interface AuditDeps {
  readonly repo: AiRepo;
  readonly locker: EvidenceLocker;
  readonly signer: () => Signer;
  readonly verifierFor: (keyId: string) => Verifier | undefined;
  readonly clock: Clock;
  readonly ids: IdSource;
  /** Whether the head's log inclusion proof verifies (undefined when the log is off). */
  readonly headLogged?: (recordId: string, tenant: string) => Promise<{ ok: boolean; logIndex: number | null; message: string }>;
}

function stored(row: AiAuditRow, logIndex: number | null = null): StoredAuditRecord {
  const record = parseJsonText(row.record_json, `audit record ${row.sequence}`) as AuditRecord;
  return { ...record, digest: row.digest as Digest, recordId: row.record_id, logIndex };
}

function verifies(env: ReturnType<typeof parseEnvelope>, verifier: Verifier): boolean {
  try {
    verifyEnvelope(env, [verifier]);
    return true;
  } catch {
    return false;
  }
}

export class AuditTrail {
  constructor(readonly d: AuditDeps) {}

  async append(principal: Principal, tenant: string, input: AuditInput): Promise<StoredAuditRecord> {
    const d = this.d;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const head = await d.repo.latestAudit(tenant);
      const record: AuditRecord = {
        timestamp: d.clock.now().toISOString(),
        ...input,
        user: principal.tokenId,
        role: principal.role,
        tenant,
        sequence: (head?.sequence ?? 0) + 1,
        previousDigest: (head?.digest as Digest | undefined) ?? null,
      };
      const digest = auditDigestOf(record);
      const envelope = signEnvelope(AI_AUDIT_PAYLOAD_TYPE, canonicalBytes(record), [d.signer()]);
      const put = await d.locker.putRecord(aiServicePrincipal(tenant), {
        tenant,
        envelope: Buffer.from(JSON.stringify(envelope)),
        parsedJson: envelope,
        extraBlobs: [],
        id: d.ids.next(),
      });
      const row: AiAuditRow = {
        tenant,
        sequence: record.sequence,
        digest,
        previous_digest: record.previousDigest,
        artifact_id: record.artifactId,
        operation: record.operation,
        timestamp: record.timestamp,
        record_id: put.id,
        record_json: JSON.stringify(record),
      };
      if (await d.repo.insertAudit(row)) return { ...record, digest, recordId: put.id, logIndex: put.logIndex };
    }
    throw new AttestryError('E_CONFLICT', `the audit trail of tenant ${tenant} kept moving while a record was added; try again`, {
      details: { retryable: true },
    });
  }

  async list(
    tenant: string,
    q: { artifactId?: string | undefined; since?: string | undefined; limit?: number | undefined },
  ): Promise<StoredAuditRecord[]> {
    const rows = await this.d.repo.audit(tenant, { ...q, limit: Math.min(q.limit ?? 1000, 10_000) });
    return rows.map((r) => stored(r));
  }

  /** Re-reads the whole trail: digests, links, signatures, then the head's log inclusion. */
  async verify(tenant: string): Promise<AuditVerification> {
    const d = this.d;
    const rows = await d.repo.wholeTrail(tenant);
    if (rows.length > MAX_AUDIT_READ)
      throw new AttestryError('E_PAYLOAD_TOO_LARGE', `the audit trail of ${tenant} has more than ${MAX_AUDIT_READ} records`);
    const chain: string[] = [];
    const sigs: string[] = [];
    let previous: string | null = null;
    rows.forEach((row, i) => {
      const n = row.sequence;
      if (n !== i + 1) chain.push(`record ${i + 1}: missing (the next stored record is ${n})`);
      let record: AuditRecord | undefined;
      try {
        record = JSON.parse(row.record_json) as AuditRecord;
      } catch {
        chain.push(`record ${n}: its stored JSON does not parse`);
      }
      if (record !== undefined) {
        const digest = auditDigestOf(record);
        if (digest !== row.digest) chain.push(`record ${n}: content hashes to ${digest}, the chain says ${row.digest}`);
        if (record.sequence !== n) chain.push(`record ${n}: says it is record ${record.sequence}`);
        if (record.previousDigest !== previous)
          chain.push(
            `record ${n}: previousDigest ${record.previousDigest ?? 'null'} does not match record ${n - 1} (${previous ?? 'none'})`,
          );
      }
      if (row.previous_digest !== previous) chain.push(`record ${n}: previous_digest column does not link to record ${n - 1}`);
      previous = row.digest;
    });
    for (const row of rows) {
      try {
        const { bytes } = await d.locker.get(aiServicePrincipal(tenant), row.record_id);
        const env = parseEnvelope(JSON.parse(bytes.toString('utf8')));
        const payload = Buffer.from(env.payload, 'base64');
        const keyid = env.signatures[0]?.keyid ?? '';
        const verifier = d.verifierFor(keyid);
        if (verifier === undefined) sigs.push(`record ${row.sequence}: signed by unknown key ${keyid}`);
        else if (!verifies(env, verifier)) sigs.push(`record ${row.sequence}: signature does not verify`);
        else if (sha256Digest(payload) !== row.digest) sigs.push(`record ${row.sequence}: the signed record is not the one in the chain`);
      } catch (e) {
        sigs.push(`record ${row.sequence}: its signed record cannot be read (${(e as Error).message})`);
      }
    }
    const head = rows.at(-1);
    const logged = head === undefined || d.headLogged === undefined ? undefined : await d.headLogged(head.record_id, tenant);
    const checks: AuditVerification['checks'] = [
      {
        name: 'chain',
        ok: chain.length === 0,
        message: chain.length === 0 ? `${rows.length} record(s), each linked to the one before` : chain.join('; '),
      },
      { name: 'signatures', ok: sigs.length === 0, message: sigs.length === 0 ? `${rows.length} signature(s) verify` : sigs.join('; ') },
      {
        name: 'head-log-inclusion',
        ok: logged === undefined ? head === undefined : logged.ok,
        message: head === undefined ? 'the trail is empty' : (logged?.message ?? 'the transparency log is off'),
      },
    ];
    return {
      ok: checks.every((c) => c.ok),
      tenant,
      length: rows.length,
      headDigest: (head?.digest as Digest | undefined) ?? null,
      headLogIndex: logged?.logIndex ?? null,
      problems: [...chain, ...sigs, ...(logged !== undefined && !logged.ok ? [logged.message] : [])],
      checks,
    };
  }
}
