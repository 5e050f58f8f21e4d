/**
 * The review and VEX commands' `--server` mode: ReviewUseCases over the
 * service's review endpoints (src/server/routes/review.ts), so a command
 * reads the same whether it runs in-process or on a server. The server acts
 * for the token's principal; the principal passed here is never sent.
 */
import type { Principal } from '../authz/principal.js';
import { AttestryError } from '../core/errors.js';
import type {
  ChainVerification,
  DecisionResult,
  PublishedVex,
  PublishResult,
  ReviewDetail,
  ReviewItem,
  ReviewQuery,
  ReviewUseCases,
} from '../ai/review-use-cases.js';
import { parseEnvelope } from '../crypto/dsse.js';
import { callJson, callJsonStatus, replyWith, type ClientFlags } from './api-client.js';

type Obj = Record<string, unknown>;

const body = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const id = (artifactId: string): string => encodeURIComponent(artifactId);

function query(params: Readonly<Record<string, string | number | undefined>>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

const DECISION = ['item', 'transition'];

export class RemoteReview implements ReviewUseCases {
  constructor(readonly flags: ClientFlags) {}

  async #decide(path: string, artifactId: string, payload: Obj): Promise<DecisionResult> {
    const r = await callJson(this.flags, 'POST', `api/v1/review/${id(artifactId)}/${path}`, body(payload));
    return replyWith(r, path, DECISION) as unknown as DecisionResult;
  }

  async list(_principal: Principal, q: ReviewQuery): Promise<readonly ReviewItem[]> {
    const qs = query({ tenant: q.tenant, type: q.type, state: q.state, minAgeSeconds: q.minAgeSeconds, limit: q.limit });
    const r = replyWith(await callJson(this.flags, 'GET', `api/v1/review${qs}`), 'review list', ['items']);
    if (!Array.isArray(r['items'])) throw new AttestryError('E_UNAVAILABLE', "the server's review list reply has no items list");
    return r['items'] as ReviewItem[];
  }

  async show(_principal: Principal, artifactId: string, tenant?: string): Promise<ReviewDetail> {
    const r = await callJson(this.flags, 'GET', `api/v1/review/${id(artifactId)}${query({ tenant })}`);
    return replyWith(r, 'review', ['artifactId', 'authority', 'decision', 'transitions']) as unknown as ReviewDetail;
  }

  approve(
    _principal: Principal,
    artifactId: string,
    input: { comment?: string | undefined; tenant?: string | undefined },
  ): Promise<DecisionResult> {
    return this.#decide('approve', artifactId, { comment: input.comment, tenant: input.tenant });
  }

  reject(_principal: Principal, artifactId: string, input: { reason: string; tenant?: string | undefined }): Promise<DecisionResult> {
    return this.#decide('reject', artifactId, { reason: input.reason, tenant: input.tenant });
  }

  groundTruth(
    _principal: Principal,
    artifactId: string,
    input: { callgraphId: string; symbol?: string | undefined; tenant?: string | undefined },
  ): Promise<DecisionResult> {
    return this.#decide('ground-truth', artifactId, { callgraphId: input.callgraphId, symbol: input.symbol, tenant: input.tenant });
  }

  override(_principal: Principal, artifactId: string, input: { reason: string; tenant?: string | undefined }): Promise<DecisionResult> {
    return this.#decide('override', artifactId, { reason: input.reason, tenant: input.tenant });
  }

  async publish(_principal: Principal, artifactId: string, input: { tenant?: string | undefined }): Promise<PublishResult> {
    const { status, value } = await callJsonStatus(
      this.flags,
      'POST',
      `api/v1/vex/${id(artifactId)}/publish`,
      body({ tenant: input.tenant }),
    );
    const document = replyWith(value, 'publish', ['@context', '@id', 'statements']) as unknown as PublishResult['document'];
    // The reply is the document; its signed attestation and log entry come with the bundle.
    const bundle = replyWith(await this.exportVex(_principal, artifactId, input.tenant), 'bundle', [
      'dsseEnvelope',
      'verificationMaterial',
    ]);
    const entry = (bundle['verificationMaterial'] as { tlogEntries?: { logIndex?: unknown }[] } | undefined)?.tlogEntries?.[0];
    return {
      artifactId,
      vexId: document['@id'],
      document,
      envelope: parseEnvelope(bundle['dsseEnvelope']),
      recordId: '',
      logIndex: entry?.logIndex === undefined ? null : Number(entry.logIndex),
      created: status === 201,
    };
  }

  async vex(
    _principal: Principal,
    q: { purl: string; tenant?: string | undefined; limit?: number | undefined },
  ): Promise<readonly PublishedVex[]> {
    const r = replyWith(
      await callJson(this.flags, 'GET', `api/v1/vex${query({ purl: q.purl, tenant: q.tenant, limit: q.limit })}`),
      'vex',
      ['statements'],
    );
    if (!Array.isArray(r['statements'])) throw new AttestryError('E_UNAVAILABLE', "the server's vex reply has no statements list");
    return r['statements'] as PublishedVex[];
  }

  /**
   * GET /vex/{id} answers with the bare document (what a VEX consumer
   * fetches); the rest of PublishedVex is read back from the document.
   */
  async vexOf(_principal: Principal, artifactId: string, tenant?: string): Promise<PublishedVex> {
    const doc = replyWith(await callJson(this.flags, 'GET', `api/v1/vex/${id(artifactId)}${query({ tenant })}`), 'vex document', [
      '@id',
      'statements',
    ]) as unknown as PublishedVex['document'];
    const s = doc.statements[0];
    return {
      artifactId,
      vexId: doc['@id'],
      tenant: tenant ?? '',
      productPurl: s?.products[0]?.['@id'] ?? '',
      vulnerability: s?.vulnerability.name ?? '',
      status: s?.status ?? '',
      publishedAt: doc.timestamp,
      document: doc,
      recordId: '',
    };
  }

  async exportVex(_principal: Principal, artifactId: string, tenant?: string): Promise<unknown> {
    const r = await callJson(this.flags, 'GET', `api/v1/vex/${id(artifactId)}/bundle${query({ tenant })}`);
    return replyWith(r, 'bundle', ['mediaType', 'dsseEnvelope']);
  }

  async verifyChain(_principal: Principal, input: { attestation: unknown; tenant?: string | undefined }): Promise<ChainVerification> {
    const r = await callJson(
      this.flags,
      'POST',
      'api/v1/attestation/verify-chain',
      body({ attestation: input.attestation, tenant: input.tenant }),
    );
    return replyWith(r, 'verify-chain', ['valid', 'checks', 'failedCheck']) as unknown as ChainVerification;
  }
}
