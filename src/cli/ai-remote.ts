/**
 * The AI commands' `--server` mode: the same use cases (AiUseCases) over the
 * service's AI endpoints (docs/ai.md), so a command reads the same whether
 * the work runs in-process on a data directory or on a server. The server
 * acts for the token's principal and always generates with its configured
 * model; a local backend choice (--model, --endpoint) is refused here.
 */
import type { Principal } from '../authz/principal.js';
import { AttestryError } from '../core/errors.js';
import type { DsseEnvelope } from '../crypto/dsse.js';
import type { Statement } from '../crypto/intoto.js';
import type { AiArtifactPredicate, ReplayResult } from '../ai/types.js';
import type {
  AiUseCases,
  AttestationVerification,
  AuditQuery,
  AuditVerification,
  ContextInput,
  ExplainRequest,
  ExplainResult,
  ReplayRequest,
  StoredAttestation,
  StoredAuditRecord,
  VerifyRequest,
} from '../ai/use-cases.js';
import { callJson, replyWith, type ClientFlags } from './api-client.js';

/** A generation on the server may take as long as a local one; the default 30 s would cut it off. */
const GENERATION_TIMEOUT_MS = 30 * 60 * 1000;

type Obj = Record<string, unknown>;

const noBackend = (backend: unknown, flag: string): void => {
  if (backend !== undefined)
    throw new AttestryError('E_USAGE', `${flag} chooses a local model; with --server the service generates with its configured one`);
};

const body = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

const contextBody = (c: readonly ContextInput[] | undefined) =>
  c?.map((d) => ({ name: d.name, mediaType: d.mediaType, content: d.content }));

export class RemoteAi implements AiUseCases {
  constructor(readonly flags: ClientFlags) {}

  async explain(_principal: Principal, req: ExplainRequest): Promise<ExplainResult> {
    noBackend(req.backend, '--model/--endpoint');
    const r = replyWith(
      await callJson(
        this.flags,
        'POST',
        'api/v1/advisory/explain',
        body({
          findingId: req.finding.id,
          finding: req.finding,
          context: contextBody(req.context),
          tenant: req.tenant,
          options: {
            artifactType: req.artifactType,
            templateVersion: req.templateVersion,
            signAttestation: req.signAttestation,
            parameters: req.parameters,
          },
        }),
        GENERATION_TIMEOUT_MS,
      ),
      'explain',
      ['artifactId', 'attestation', 'replayManifest', 'keys', 'recordId'],
    );
    const { signature: _s, envelope, ...statement } = r['attestation'] as Obj;
    return {
      ...(r as unknown as ExplainResult),
      output: String(r['explanation']),
      statement: statement as unknown as Statement<AiArtifactPredicate>,
      envelope: (envelope ?? null) as DsseEnvelope | null,
      manifest: r['replayManifest'] as ExplainResult['manifest'],
    };
  }

  async verify(_principal: Principal, req: VerifyRequest): Promise<AttestationVerification> {
    noBackend(req.backend, '--model');
    const r = await callJson(
      this.flags,
      'POST',
      'api/v1/attestation/verify',
      body({
        attestation: req.attestation,
        manifest: req.manifest,
        publicKey: req.publicKeyPem,
        tenant: req.tenant,
        options: { verifySignature: req.verifySignature, verifyReplay: req.verifyReplay, requireLogged: req.requireLogged },
      }),
      GENERATION_TIMEOUT_MS,
    );
    return replyWith(r, 'verify', ['valid', 'checks', 'failedCheck']) as unknown as AttestationVerification;
  }

  async replay(_principal: Principal, req: ReplayRequest): Promise<ReplayResult> {
    const o = req.overrides;
    noBackend(o?.backend, '--model/--endpoint');
    const r = await callJson(
      this.flags,
      'POST',
      'api/v1/advisory/replay',
      body({
        manifestId: req.manifestId,
        manifest: req.manifest,
        tenant: req.tenant,
        detectDivergence: req.detectDivergence,
        overrides:
          o === undefined ? undefined : { parameters: o.parameters, templateVersion: o.templateVersion, context: contextBody(o.context) },
      }),
      GENERATION_TIMEOUT_MS,
    );
    return replyWith(r, 'replay', ['status', 'causes', 'details', 'similarityScore']) as unknown as ReplayResult;
  }

  async attestation(_principal: Principal, artifactId: string, tenant?: string): Promise<StoredAttestation> {
    const q = tenant === undefined ? '' : `?tenant=${encodeURIComponent(tenant)}`;
    const r = await callJson(this.flags, 'GET', `api/v1/attestation/${encodeURIComponent(artifactId)}${q}`);
    return replyWith(r, 'attestation', ['artifactId', 'statement', 'manifest', 'audit']) as unknown as StoredAttestation;
  }

  async audit(_principal: Principal, query: AuditQuery): Promise<readonly StoredAuditRecord[]> {
    const q = new URLSearchParams();
    if (query.tenant !== undefined) q.set('tenant', query.tenant);
    if (query.artifactId !== undefined) q.set('artifactId', query.artifactId);
    if (query.since !== undefined) q.set('since', query.since);
    if (query.limit !== undefined) q.set('limit', String(query.limit));
    const qs = q.toString();
    const r = replyWith(await callJson(this.flags, 'GET', `api/v1/audit${qs === '' ? '' : `?${qs}`}`), 'audit', ['records']);
    if (!Array.isArray(r['records'])) throw new AttestryError('E_UNAVAILABLE', "the server's audit reply has no records list");
    return r['records'] as StoredAuditRecord[];
  }

  async verifyAudit(_principal: Principal, tenant?: string): Promise<AuditVerification> {
    const q = tenant === undefined ? '' : `?tenant=${encodeURIComponent(tenant)}`;
    const r = await callJson(this.flags, 'GET', `api/v1/audit/verify${q}`);
    return replyWith(r, 'audit verify', ['ok', 'checks', 'problems']) as unknown as AuditVerification;
  }
}
