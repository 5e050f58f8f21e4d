/**
 * Verify an AI attestation (seed 002 "Verify Attestation"): each named check
 * of AiCheck in order — signature, predicate schema, the replay manifest's
 * own hash, its binding to the predicate (prompts, context, output), log
 * inclusion, and, when asked, a replay. One failed check makes it invalid.
 */
import { AttestryError } from '../core/errors.js';
import { parseJsonText } from '../core/validation.js';
import { decodeBase64, parseEnvelope, verifyEnvelope, type DsseEnvelope } from '../crypto/dsse.js';
import { verifierFromPem, type Verifier } from '../crypto/signer.js';
import { INTOTO_PAYLOAD_TYPE } from '../crypto/intoto.js';
import type { AiDeps } from './deps.js';
import { manifestHashOf } from './manifest.js';
import { bindingChecks } from './predicate.js';
import { parseAiStatement, parseReplayManifest } from './schemas.js';
import { AI_PAYLOAD_TYPE, type AiArtifactPredicate, type ReplayManifest, type ReplayResult } from './types.js';
import type { AiCheck, AttestationVerification, VerifyRequest } from './use-cases.js';

export interface VerifyContext {
  readonly tenant: string;
  /** The stored manifest of an artifact in this tenant, if there is one. */
  readonly storedManifest: (artifactId: string) => Promise<ReplayManifest | undefined>;
  /** The locker record of a stored artifact, if any. */
  readonly recordOf: (artifactId: string) => Promise<string | null | undefined>;
  readonly replay: (m: ReplayManifest) => Promise<ReplayResult>;
}

const check = (name: AiCheck['name'], ok: boolean | null, message: string): AiCheck => ({ name, ok, message });

function signatureCheck(d: AiDeps, env: DsseEnvelope, pem: string | undefined): AiCheck {
  const keyid = env.signatures[0]?.keyid ?? '';
  let verifier: Verifier | undefined;
  if (pem !== undefined) verifier = verifierFromPem(pem, keyid, 'the given public key');
  else verifier = d.verifierFor(keyid);
  if (verifier === undefined)
    return check('signature', false, `signed by key "${keyid}", which the keyring does not hold; give the signer's public key (--key PEM)`);
  try {
    verifyEnvelope(env, [verifier]);
    return check('signature', true, `signature by ${keyid} (${verifier.algorithm}) verifies`);
  } catch {
    return check(
      'signature',
      false,
      `the signature does not verify with key ${keyid}${pem === undefined ? '' : ' (the given key)'}: the envelope was changed or signed by another key`,
    );
  }
}

export async function verifyAttestation(d: AiDeps, ctx: VerifyContext, req: VerifyRequest): Promise<AttestationVerification> {
  const env = parseEnvelope(req.attestation);
  const checks: AiCheck[] = [];
  checks.push(
    req.verifySignature === false
      ? check('signature', null, 'not asked (verifySignature: false)')
      : signatureCheck(d, env, req.publicKeyPem),
  );

  let predicate: AiArtifactPredicate | undefined;
  try {
    if (env.payloadType !== AI_PAYLOAD_TYPE && env.payloadType !== INTOTO_PAYLOAD_TYPE)
      throw new AttestryError('E_INVALID_INPUT', `payloadType ${env.payloadType} is not ${AI_PAYLOAD_TYPE}`);
    predicate = parseAiStatement(parseJsonText(decodeBase64(env.payload).toString('utf8'), 'the DSSE payload')).statement.predicate;
    checks.push(check('predicate-schema', true, `${predicate.artifactType} ${predicate.artifactId} (${predicate.authority})`));
  } catch (e) {
    checks.push(check('predicate-schema', false, (e as Error).message));
  }

  let manifest: ReplayManifest | undefined;
  let manifestProblem = 'no predicate to find the manifest by';
  if (req.manifest !== undefined) {
    try {
      manifest = parseReplayManifest(req.manifest);
    } catch (e) {
      manifestProblem = (e as Error).message;
    }
  } else if (predicate !== undefined) {
    manifest = await ctx.storedManifest(predicate.artifactId);
    manifestProblem = `no replay manifest of ${predicate.artifactId} is stored here; give it (--manifest FILE)`;
  }
  if (manifest === undefined) {
    checks.push(check('manifest-hash', false, manifestProblem));
  } else {
    const h = manifestHashOf(manifest);
    checks.push(
      check(
        'manifest-hash',
        h === manifest.manifestHash,
        h === manifest.manifestHash
          ? `manifest ${manifest.manifestId} hashes to its manifestHash`
          : `the manifest hashes to ${h}, it says ${manifest.manifestHash}: it was changed`,
      ),
    );
    if (predicate !== undefined) checks.push(...bindingChecks(predicate, manifest));
  }

  if (predicate === undefined) checks.push(check('log-inclusion', false, 'no predicate: nothing to look up'));
  else {
    const recordId = await ctx.recordOf(predicate.artifactId);
    if (recordId === undefined || recordId === null) {
      const required = req.requireLogged ?? true;
      checks.push(
        check(
          'log-inclusion',
          required ? false : null,
          `${predicate.artifactId} is not a signed record of this locker, so it has no log entry here`,
        ),
      );
    } else if (d.logProof === undefined) checks.push(check('log-inclusion', null, 'the transparency log is off (Log.Enabled: false)'));
    else {
      const proof = await d.logProof(recordId, ctx.tenant, req.attestation);
      checks.push(check('log-inclusion', proof.ok, proof.message));
    }
  }

  let replay: ReplayResult | undefined;
  if (req.verifyReplay === true) {
    if (manifest === undefined) checks.push(check('replay', false, 'no manifest to replay'));
    else {
      replay = await ctx.replay(manifest);
      checks.push(
        check(
          'replay',
          replay.status === 'identical',
          replay.status === 'identical'
            ? 'replayed output is byte-identical'
            : `replay ${replay.status}${replay.causes.length > 0 ? `; causes: ${replay.causes.map((c) => c.cause).join(', ')}` : ''}${replay.error ? `; ${replay.error.message}` : ''}`,
        ),
      );
    }
  } else checks.push(check('replay', null, 'not asked (verifyReplay)'));

  const failedCheck = checks.find((c) => c.ok === false)?.name ?? null;
  return {
    valid: failedCheck === null,
    artifactId: predicate?.artifactId ?? null,
    keyId: env.signatures[0]?.keyid ?? null,
    checks,
    failedCheck,
    replay,
  };
}
