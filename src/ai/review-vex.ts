/**
 * VEX publishing (issue 17): only a human-approved vex_draft (or, when
 * `advisoryAi.review.publishVerified` allows, an ai-verified one) becomes an
 * OpenVEX 0.2.0 document, signed as an in-toto attestation, stored and
 * logged. The VEX reads only ever see vex_statements rows, which exist only
 * for published drafts: an unapproved draft's id, guessed or not, is 404.
 */
import { writeTenant, type Principal } from '../authz/principal.js';
import { sha256Digest } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import type { AiArtifactRow } from '../store/db/ai-repo.js';
import type { VexStatementRow } from '../store/db/review-repo.js';
import { parsePurl } from '../signals/purl.js';
import { buildAiOpenVex } from './openvex.js';
import { reviewWriter, type ReviewDeps } from './review-deps.js';
import type { ReviewDecisions } from './review-service.js';
import { recordTransition, storedTransition } from './review-transitions.js';
import type { PublishedVex, PublishResult } from './review-use-cases.js';
import { vexClaimOf } from './vex-claim.js';
import { buildVexStatement, signVexAttestation } from './vex-attestation.js';
import { parseEnvelope } from '../crypto/dsse.js';
import type { OpenVexDocument } from './vex-types.js';

export const VEX_KIND = 'vex-statements';

const noVex = (id: string) => () => new AttestryError('E_NOT_FOUND', `no published VEX for ${id}`);

export class VexPublishing {
  constructor(
    readonly d: ReviewDeps,
    readonly decisions: ReviewDecisions,
  ) {}

  #may(principal: Principal, action: 'read' | 'write'): void {
    if (!this.d.kinds.can(principal.role, VEX_KIND, action))
      throw new AttestryError('E_FORBIDDEN', `role ${principal.role} may not ${action === 'write' ? 'publish' : 'read'} VEX`, {
        details: { role: principal.role, kind: VEX_KIND, action },
      });
  }

  published(row: VexStatementRow): PublishedVex {
    return {
      artifactId: row.artifact_id,
      vexId: row.vex_id,
      tenant: row.tenant,
      productPurl: row.product_purl,
      vulnerability: row.vulnerability,
      status: row.status,
      publishedAt: row.published_at,
      document: JSON.parse(row.document_json) as OpenVexDocument,
      recordId: row.record_id,
    };
  }

  async publish(principal: Principal, artifactId: string, input: { tenant?: string | undefined }): Promise<PublishResult> {
    this.#may(principal, 'write');
    const row = await this.decisions.row(principal, artifactId, 'write', input.tenant);
    const existing = await this.d.repo.vex(artifactId);
    // A retry after a lost reply gets the same publication back, not a second one.
    if (existing !== undefined) return this.#result(existing, false);
    let made:
      | {
          envelope: ReturnType<typeof signVexAttestation>['envelope'];
          document: OpenVexDocument;
          recordId: string;
          logIndex: number | null;
        }
      | undefined;
    const { state } = await recordTransition(this.d, {
      principal,
      row,
      action: { kind: 'publication' },
      precheck: () => this.decisions.stillVerifies(principal, row),
      publication: async (after) => {
        const built = await this.#build(row, after.approvers);
        made = built;
        return built.publication;
      },
    });
    if (made === undefined) throw new AttestryError('E_INTERNAL', `publishing ${artifactId} recorded no VEX`);
    await this.decisions.audit(principal, row, state.authority, `published ${made.document['@id']}`, 'vex_publication');
    const stored = await this.d.repo.vex(artifactId);
    if (stored === undefined) throw new AttestryError('E_INTERNAL', `publishing ${artifactId} left no VEX row`);
    return { ...(await this.#result(stored, true)), logIndex: made.logIndex };
  }

  async #build(row: AiArtifactRow, approvers: readonly string[]) {
    const stored = await this.d.ai.attestation(reviewWriter(row.tenant), row.artifact_id, row.tenant);
    const m = stored.manifest;
    const claim = vexClaimOf(m.finding, m.output.content);
    const transitions = (await this.d.repo.transitions(row.artifact_id)).map((t) => storedTransition(t));
    const agreed = [...transitions].reverse().find((t) => t.groundTruth !== null)?.groundTruth;
    const document = buildAiOpenVex({
      claim,
      tenant: row.tenant,
      artifactId: row.artifact_id,
      author: this.d.config.review.vexAuthor,
      timestamp: this.d.clock.now().toISOString(),
      approvedBy: approvers,
      modelId: row.model_id,
      verifiedBy: agreed?.outcome === 'agrees' ? { verdictDigest: agreed.verdict.digest, state: agreed.verdict.state } : null,
    });
    const { envelope, bytes } = signVexAttestation(buildVexStatement(document, m.finding.artifactDigest ?? null), this.d.signer());
    const put = await this.d.locker.putRecord(reviewWriter(row.tenant), {
      tenant: row.tenant,
      envelope: bytes,
      parsedJson: envelope,
      extraBlobs: [],
    });
    const purl = parsePurl(claim.productPurl, 'finding.purl');
    const digest = sha256Digest(bytes);
    const vexRow: VexStatementRow = {
      artifact_id: row.artifact_id,
      vex_id: document['@id'],
      tenant: row.tenant,
      product_purl: purl.canonical,
      package_key: purl.key,
      vulnerability: claim.vulnerability,
      status: claim.status,
      record_id: put.id,
      digest,
      published_at: document.timestamp,
      document_json: JSON.stringify(document),
    };
    return {
      envelope,
      document,
      recordId: put.id,
      logIndex: put.logIndex,
      publication: { vexId: document['@id'], attestationDigest: digest, vexRow },
    };
  }

  async #result(row: VexStatementRow, created: boolean): Promise<PublishResult> {
    const { bytes } = await this.d.locker.get(reviewWriter(row.tenant), row.record_id);
    return {
      artifactId: row.artifact_id,
      vexId: row.vex_id,
      document: JSON.parse(row.document_json) as OpenVexDocument,
      envelope: parseEnvelope(JSON.parse(bytes.toString('utf8'))),
      recordId: row.record_id,
      logIndex: null,
      created,
    };
  }

  async vex(
    principal: Principal,
    q: { purl: string; tenant?: string | undefined; limit?: number | undefined },
  ): Promise<readonly PublishedVex[]> {
    this.#may(principal, 'read');
    const tenant = writeTenant(principal, q.tenant);
    const purl = parsePurl(q.purl, 'purl');
    const limit = Math.min(q.limit ?? 100, 1000);
    const rows = await this.d.repo.vexFor(tenant, purl.version === null ? { packageKey: purl.key } : { purl: purl.canonical }, limit);
    return rows.map((r) => this.published(r));
  }

  async vexOf(principal: Principal, artifactId: string, tenant?: string): Promise<PublishedVex> {
    this.#may(principal, 'read');
    const row = await this.d.repo.vex(artifactId);
    const acts = row !== undefined && (principal.tenants === '*' || principal.tenants.includes(row.tenant));
    if (row === undefined || !acts || (tenant !== undefined && tenant !== row.tenant)) throw noVex(artifactId)();
    return this.published(row);
  }

  async exportVex(principal: Principal, artifactId: string, tenant?: string): Promise<unknown> {
    const v = await this.vexOf(principal, artifactId, tenant);
    return this.d.locker.exportBundle(principal, v.recordId);
  }
}
