/**
 * `attest verify --chain` (issue 17): re-verifies, from the data directory
 * alone, everything between a generation and its published VEX: the VEX
 * attestation's signature, that it is the one published and its log entry;
 * the draft's attestation (every check of `attest verify`); each transition's
 * signature, digest, link to the one before, citation of the draft and log
 * entry; that replaying the transitions through the state machine gives the
 * stored state; and that the publication cites this VEX attestation.
 * Given a draft's envelope instead, it checks the same minus the VEX.
 */
import type { Principal } from '../authz/principal.js';
import { canonicalize } from '../core/canonical-json.js';
import { sha256Digest } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import { parseJsonText } from '../core/validation.js';
import { decodeBase64, parseEnvelope, verifyEnvelope, type DsseEnvelope } from '../crypto/dsse.js';
import { INTOTO_PAYLOAD_TYPE } from '../crypto/intoto.js';
import { AI_PAYLOAD_TYPE } from './kinds.js';
import { parseArtifactId } from './ids.js';
import { reviewWriter, type ReviewDeps } from './review-deps.js';
import { parseTransitionEnvelope, transitionDigestOf } from './review-records.js';
import type { ReviewDecisions } from './review-service.js';
import { nextState, type ReviewAction, type ReviewState } from './review-state.js';
import { factsOf, stateOf } from './review-transitions.js';
import type { ChainCheck, ChainVerification, TransitionRecord } from './review-use-cases.js';
import { parseVexAttestation } from './vex-attestation.js';
import { AI_VEX_ID_PREFIX } from './vex-types.js';

type Named = ChainCheck['name'];

function envelopeIn(input: unknown): DsseEnvelope {
  // A Sigstore bundle (what `vex export` writes) carries the envelope as dsseEnvelope.
  if (typeof input === 'object' && input !== null && 'dsseEnvelope' in input) return parseEnvelope(input.dsseEnvelope);
  return parseEnvelope(input);
}

function artifactOfVex(vexId: string): string {
  if (!vexId.startsWith(AI_VEX_ID_PREFIX))
    throw new AttestryError('E_SIGNATURE_FORMAT', `${vexId} is not a VEX document attestry published`);
  const artifactId = vexId.slice(AI_VEX_ID_PREFIX.length).split('/')[1] ?? '';
  parseArtifactId(artifactId);
  return artifactId;
}

const actionOf = (r: TransitionRecord): ReviewAction => {
  switch (r.kind) {
    case 'approval':
      return { kind: 'approval', by: r.principal.tokenId };
    case 'rejection':
      return { kind: 'rejection', by: r.principal.tokenId, reason: r.reason ?? '' };
    case 'override':
      return { kind: 'override', by: r.principal.tokenId, reason: r.reason ?? '' };
    case 'publication':
      return { kind: 'publication' };
    case 'ground-truth':
      if (r.groundTruth === null)
        throw new AttestryError('E_INTEGRITY', `transition ${r.sequence} is a ground-truth check without its result`);
      return { kind: 'ground-truth', result: r.groundTruth };
  }
};

export async function verifyChain(
  d: ReviewDeps,
  decisions: ReviewDecisions,
  principal: Principal,
  input: { attestation: unknown; tenant?: string | undefined },
): Promise<ChainVerification> {
  const checks: ChainCheck[] = [];
  const add = (name: Named, ok: boolean | null, message: string): void => void checks.push({ name, ok, message });
  const given = envelopeIn(input.attestation);
  const verifies = (env: DsseEnvelope): string | null => {
    const keyid = env.signatures[0]?.keyid ?? '';
    const v = d.verifierFor(keyid);
    if (v === undefined) return `signed by ${keyid || 'an unnamed key'}, which this keyring does not hold`;
    try {
      verifyEnvelope(env, [v]);
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  };

  // The signature first: a payload changed after signing is a failed check, even when it no longer parses.
  const sigProblem = verifies(given);
  const unreadable = (name: Named, e: unknown): ChainVerification => {
    if (sigProblem === null) throw e;
    add(name, false, `the signature does not verify: ${sigProblem}`);
    return { valid: false, artifactId: null, checks, failedCheck: name };
  };
  let artifactId: string;
  let vex: { digest: string; vexId: string } | undefined;
  const givenDraft = given.payloadType === AI_PAYLOAD_TYPE ? given : null;
  if (givenDraft !== null) {
    try {
      const statement = parseJsonText(
        decodeBase64(given.payload).toString('utf8'),
        'the draft attestation payload',
        'E_SIGNATURE_FORMAT',
      ) as {
        predicate?: { artifactId?: unknown };
      };
      const id = statement.predicate?.artifactId;
      artifactId = typeof id === 'string' ? id : '';
      parseArtifactId(artifactId);
    } catch (e) {
      return unreadable('draft-attestation', e);
    }
  } else {
    let document: ReturnType<typeof parseVexAttestation>['document'];
    try {
      document = parseVexAttestation(given).document;
    } catch (e) {
      if (given.payloadType !== INTOTO_PAYLOAD_TYPE) throw e;
      return unreadable('vex-signature', e);
    }
    artifactId = artifactOfVex(document['@id']);
    add(
      'vex-signature',
      sigProblem === null,
      sigProblem ?? `the VEX attestation's signature verifies (${given.signatures[0]?.keyid ?? ''})`,
    );
    const row = await d.repo.vex(artifactId);
    if (row === undefined) add('vex-published', false, `${document['@id']} was never published here`);
    else {
      const stored = await d.locker.get(reviewWriter(row.tenant), row.record_id);
      const same = canonicalize(JSON.parse(stored.bytes.toString('utf8'))) === canonicalize(given);
      add(
        'vex-published',
        same,
        same
          ? `it is the VEX published as ${row.vex_id}`
          : `it is not the attestation published as ${row.vex_id}: payload or signature differs`,
      );
      vex = { digest: row.digest, vexId: row.vex_id };
      const logged = d.logProof === undefined ? undefined : await d.logProof(row.record_id, row.tenant, given);
      add('vex-log-inclusion', logged?.ok ?? null, logged?.message ?? 'the transparency log is off');
    }
  }

  const row = await decisions.row(principal, artifactId, 'read', input.tenant);
  const draft = await d.ai.attestation(principal, artifactId, row.tenant);
  if (draft.envelope === null) add('draft-attestation', false, `${artifactId} was generated unsigned`);
  else {
    // A draft's envelope given is checked itself, and must be the one reviewed (the transitions cite the stored one).
    const v = await d.ai.verify(principal, { tenant: row.tenant, attestation: givenDraft ?? draft.envelope });
    const failed = v.checks.find((c) => c.name === v.failedCheck);
    const same = givenDraft === null || canonicalize(givenDraft) === canonicalize(draft.envelope);
    add(
      'draft-attestation',
      v.valid && same,
      !v.valid
        ? `${v.failedCheck ?? ''}: ${failed?.message ?? ''}`
        : !same
          ? `it is not ${artifactId}'s stored attestation, which the transitions cite`
          : `${artifactId}: ${v.checks
              .filter((c) => c.ok === true)
              .map((c) => c.name)
              .join(', ')} verify`,
    );
  }
  const draftDigest =
    draft.envelope === null || row.record_id === null
      ? null
      : sha256Digest((await d.locker.get(reviewWriter(row.tenant), row.record_id)).bytes);

  const rows = await d.repo.transitions(artifactId);
  const chain: string[] = [];
  const sigs: string[] = [];
  const logs: string[] = [];
  const authority: string[] = [];
  const facts = factsOf(row);
  let state: ReviewState = stateOf(row, undefined);
  let previous: string | null = null;
  let publication: TransitionRecord['publication'] = null;
  for (const [i, t] of rows.entries()) {
    const n = i + 1;
    const record = JSON.parse(t.record_json) as TransitionRecord;
    if (t.sequence !== n || record.sequence !== n) chain.push(`transition ${n}: stored as ${t.sequence}, says ${record.sequence}`);
    if (transitionDigestOf(record) !== t.digest)
      chain.push(`transition ${n}: its content hashes to ${transitionDigestOf(record)}, the chain says ${t.digest}`);
    if (record.previousDigest !== previous) chain.push(`transition ${n}: previousDigest does not link to transition ${n - 1}`);
    if (record.draft.statementDigest !== row.statement_digest || record.draft.attestationDigest !== draftDigest)
      chain.push(`transition ${n}: cites a different draft than ${artifactId}'s stored attestation`);
    previous = t.digest;
    try {
      const got = await d.locker.get(reviewWriter(row.tenant), t.record_id);
      const signed = parseTransitionEnvelope(JSON.parse(got.bytes.toString('utf8')));
      const problem = verifies(signed.envelope);
      if (problem !== null) sigs.push(`transition ${n}: ${problem}`);
      else if (canonicalize(signed.record) !== canonicalize(record))
        sigs.push(`transition ${n}: the signed record is not the one in the chain`);
      const logged = d.logProof === undefined ? undefined : await d.logProof(t.record_id, row.tenant, signed.envelope);
      if (logged !== undefined && !logged.ok) logs.push(`transition ${n}: ${logged.message}`);
    } catch (e) {
      sigs.push(`transition ${n}: its signed record cannot be read (${(e as Error).message})`);
    }
    try {
      const policy = {
        approvalsRequired: record.approvals.required,
        requireDistinctReviewer: false,
        publishVerified: d.config.review.publishVerified,
      };
      state = nextState(state, actionOf(record), facts, policy);
      if (state.authority !== record.toAuthority || state.decision !== record.decision)
        authority.push(
          `transition ${n} (${record.kind}): recorded ${record.toAuthority}/${record.decision}, the rules give ${state.authority}/${state.decision}`,
        );
    } catch (e) {
      authority.push(`transition ${n} (${record.kind}) was not allowed: ${(e as Error).message}`);
    }
    if (record.kind === 'publication') publication = record.publication;
  }
  const storedState = stateOf(row, await d.repo.state(artifactId));
  if (
    rows.length > 0 &&
    (storedState.authority !== state.authority || storedState.decision !== state.decision || storedState.published !== state.published)
  )
    authority.push(
      `the stored state (${storedState.authority}/${storedState.decision}) is not what the transitions give (${state.authority}/${state.decision})`,
    );
  add(
    'transition-chain',
    chain.length === 0,
    chain.length === 0 ? `${rows.length} transition(s), each linked to the one before and citing the draft` : chain.join('; '),
  );
  add('transition-signatures', sigs.length === 0, sigs.length === 0 ? `${rows.length} transition signature(s) verify` : sigs.join('; '));
  add(
    'transition-log-inclusion',
    d.logProof === undefined ? null : logs.length === 0,
    d.logProof === undefined
      ? 'the transparency log is off'
      : logs.length === 0
        ? `${rows.length} transition(s) in the log`
        : logs.join('; '),
  );
  add(
    'authority',
    authority.length === 0,
    authority.length === 0
      ? `the transitions give ${state.authority} (${state.decision}${state.published ? ', published' : ''})`
      : authority.join('; '),
  );
  if (vex !== undefined) {
    const ok = publication !== null && publication.attestationDigest === vex.digest && publication.vexId === vex.vexId;
    add(
      'publication-binding',
      ok,
      ok ? `the publication transition cites this VEX attestation (${vex.digest})` : 'no publication transition cites this VEX attestation',
    );
  }
  const failed = checks.find((c) => c.ok === false);
  return { valid: failed === undefined, artifactId, checks, failedCheck: failed?.name ?? null };
}
