/** The AI use cases (AiUseCases) over the locker, the index and the generation backends. */
import { actsFor, authorize, writeTenant, type Principal } from '../authz/principal.js';
import { AttestryError } from '../core/errors.js';
import { parseJsonText } from '../core/validation.js';
import { parseEnvelope, type DsseEnvelope } from '../crypto/dsse.js';
import type { Statement } from '../crypto/intoto.js';
import { aiServicePrincipal, AuditTrail } from './audit.js';
import type { AiDeps } from './deps.js';
import { explain, Limiter } from './explain.js';
import { parseArtifactId, parseManifestId } from './ids.js';
import { replayManifest } from './replay.js';
import { parseReplayManifest } from './schemas.js';
import type { AiArtifactPredicate, ArtifactType, Authority, ReplayManifest, ReplayResult } from './types.js';
import type {
  AiUseCases,
  AttestationVerification,
  AuditQuery,
  AuditVerification,
  ExplainRequest,
  ExplainResult,
  ReplayRequest,
  StoredAttestation,
  StoredAuditRecord,
  VerifyRequest,
} from './use-cases.js';
import { verifyAttestation } from './verify.js';
import type { AiArtifactRow } from '../store/db/ai-repo.js';

const KIND = 'ai-attestations';
const AUDIT_KIND = 'ai-audit-records';

export class AiService implements AiUseCases {
  readonly audit_: AuditTrail;
  readonly #limiter: Limiter;

  constructor(readonly d: AiDeps) {
    const logProof = d.logProof;
    this.audit_ = new AuditTrail({
      repo: d.repo,
      locker: d.locker,
      signer: d.signer,
      verifierFor: d.verifierFor,
      clock: d.clock,
      ids: d.ids,
      headLogged: logProof === undefined ? undefined : (recordId, tenant) => logProof(recordId, tenant, undefined),
    });
    this.#limiter = new Limiter(d.config.limits.concurrency);
  }

  explain(principal: Principal, request: ExplainRequest): Promise<ExplainResult> {
    return explain(this.d, this.audit_, this.#limiter, principal, request);
  }

  /** The artifact row, or 404 when it does not exist or belongs to a tenant the caller does not act for. */
  async #row(principal: Principal, artifactId: string, tenant?: string): Promise<AiArtifactRow> {
    parseArtifactId(artifactId);
    const row = await this.d.repo.artifact(artifactId);
    if (row === undefined || !actsFor(principal, row.tenant) || (tenant !== undefined && row.tenant !== tenant))
      throw new AttestryError('E_NOT_FOUND', `no AI artifact ${artifactId}`);
    authorize(principal, row.tenant, KIND, 'read', () => new AttestryError('E_NOT_FOUND', `no AI artifact ${artifactId}`), this.d.kinds);
    return row;
  }

  async #manifestOf(row: AiArtifactRow): Promise<ReplayManifest> {
    const { ulid } = parseArtifactId(row.artifact_id);
    const bytes = await this.d.blobs.get(
      this.d.kinds.blobKey(KIND, 'manifest', row.tenant, ulid),
      row.manifest_digest as `sha256:${string}`,
      64 * 1024 * 1024,
    );
    return parseReplayManifest(parseJsonText(bytes.toString('utf8'), `replay manifest ${row.manifest_id}`));
  }

  async verify(principal: Principal, request: VerifyRequest): Promise<AttestationVerification> {
    const tenant = writeTenant(principal, request.tenant);
    authorize(principal, tenant, KIND, 'read', () => new AttestryError('E_NOT_FOUND', `unknown tenant "${tenant}"`), this.d.kinds);
    // One lookup per artifact id however many checks ask (manifest, log record, audit).
    const rows = new Map<string, Promise<AiArtifactRow | undefined>>();
    const inTenant = (artifactId: string): Promise<AiArtifactRow | undefined> => {
      let row = rows.get(artifactId);
      if (row === undefined) {
        row = this.d.repo
          .artifact(artifactId)
          .catch(() => undefined)
          .then((r) => (r !== undefined && r.tenant === tenant ? r : undefined));
        rows.set(artifactId, row);
      }
      return row;
    };
    const result = await verifyAttestation(
      this.d,
      {
        tenant,
        storedManifest: async (id) => {
          const row = await inTenant(id);
          return row === undefined ? undefined : this.#manifestOf(row);
        },
        recordOf: async (id) => (await inTenant(id))?.record_id,
        replay: (m) => replayManifest(this.d, this.#limiter, m, request.backend === undefined ? {} : { backend: request.backend }),
      },
      request,
    );
    const row = result.artifactId === null ? undefined : await inTenant(result.artifactId);
    if (result.artifactId !== null)
      await this.audit_.append(principal, tenant, {
        operation: 'ai_verification',
        artifactId: result.artifactId,
        artifactType: (row?.artifact_type as ArtifactType | undefined) ?? 'explanation',
        modelId: row?.model_id ?? 'unknown',
        authority: (row?.authority as Authority | undefined) ?? 'ai-generated',
        inputHashes: [],
        outputHash: (row?.statement_digest as `sha256:${string}` | undefined) ?? `sha256:${'0'.repeat(64)}`,
        signed: row?.signed === 1,
        replayable: true,
        outcome: result.valid ? 'valid' : `invalid: ${result.failedCheck ?? ''}`,
      });
    return result;
  }

  async replay(principal: Principal, request: ReplayRequest): Promise<ReplayResult> {
    const tenant = writeTenant(principal, request.tenant);
    authorize(principal, tenant, KIND, 'write', () => new AttestryError('E_NOT_FOUND', `unknown tenant "${tenant}"`), this.d.kinds);
    let manifest: ReplayManifest;
    let row: AiArtifactRow | undefined;
    if (request.manifest !== undefined) manifest = parseReplayManifest(request.manifest);
    else if (request.manifestId !== undefined) {
      parseManifestId(request.manifestId);
      row = await this.d.repo.artifactByManifest(request.manifestId);
      if (row === undefined || row.tenant !== tenant) throw new AttestryError('E_NOT_FOUND', `no replay manifest ${request.manifestId}`);
      manifest = await this.#manifestOf(row);
    } else throw new AttestryError('E_INVALID_INPUT', 'give manifestId or manifest');
    const result = await replayManifest(this.d, this.#limiter, manifest, request.overrides ?? {}, request.detectDivergence ?? true);
    row ??= await this.d.repo.artifact(manifest.artifactId).then((r) => (r?.tenant === tenant ? r : undefined));
    await this.audit_.append(principal, tenant, {
      operation: 'ai_replay',
      artifactId: manifest.artifactId,
      artifactType: manifest.artifactType,
      modelId: manifest.model.modelId,
      authority: (row?.authority as Authority | undefined) ?? 'ai-generated',
      inputHashes: [manifest.prompts.systemPromptHash, manifest.prompts.userPromptHash, ...manifest.context.contextHashes],
      outputHash: result.replayedHash ?? manifest.output.contentHash,
      signed: row?.signed === 1,
      replayable: manifest.metadata.replayable,
      outcome: `${result.status}${result.causes.length > 0 ? `; causes: ${result.causes.map((c) => c.cause).join(', ')}` : ''}`,
    });
    return result;
  }

  async attestation(principal: Principal, artifactId: string, tenant?: string): Promise<StoredAttestation> {
    const row = await this.#row(principal, artifactId, tenant);
    const { ulid } = parseArtifactId(artifactId);
    const manifest = await this.#manifestOf(row);
    const statementBytes = await this.d.blobs.get(
      this.d.kinds.blobKey(KIND, 'statement', row.tenant, ulid),
      row.statement_digest as `sha256:${string}`,
      16 * 1024 * 1024,
    );
    const statement = parseJsonText(statementBytes.toString('utf8'), `statement of ${artifactId}`) as Statement<AiArtifactPredicate>;
    let envelope: DsseEnvelope | null = null;
    let logIndex: number | null = null;
    if (row.record_id !== null) {
      const got = await this.d.locker.get(aiServicePrincipal(row.tenant), row.record_id);
      envelope = parseEnvelope(JSON.parse(got.bytes.toString('utf8')));
      logIndex = (await this.d.locker.logInfo(got.row)).logIndex;
    }
    const audit = await this.audit_.list(row.tenant, { artifactId });
    return { artifactId, tenant: row.tenant, authority: row.authority as Authority, statement, envelope, manifest, logIndex, audit };
  }

  async audit(principal: Principal, query: AuditQuery): Promise<readonly StoredAuditRecord[]> {
    const tenant = writeTenant(principal, query.tenant);
    authorize(principal, tenant, AUDIT_KIND, 'read', () => new AttestryError('E_NOT_FOUND', `unknown tenant "${tenant}"`), this.d.kinds);
    return this.audit_.list(tenant, query);
  }

  async verifyAudit(principal: Principal, tenant?: string): Promise<AuditVerification> {
    const t = writeTenant(principal, tenant);
    authorize(principal, t, AUDIT_KIND, 'read', () => new AttestryError('E_NOT_FOUND', `unknown tenant "${t}"`), this.d.kinds);
    return this.audit_.verify(t);
  }

  close(): Promise<void> {
    return this.d.pool.close();
  }
}
