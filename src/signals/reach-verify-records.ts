/**
 * What the checks of verify-verdict share, and its `manifest` check: the exported manifest is the one
 * the verdict cites (its stored form hashes to the cited manifestDigest),
 * its signature verifies with the published key, its envelope is the
 * manifest's, and its log entry is the cited one (inclusion under a
 * checkpoint the pinned log key signed).
 */
import { isDeepStrictEqual } from 'node:util';
import { canonicalize } from '../core/canonical-json.js';
import { sha256Digest } from '../core/digest.js';
import { parseJsonText } from '../core/validation.js';
import { parseEnvelope } from '../crypto/dsse.js';
import { digestingStream } from './export.js';
import { envelopeMatchesManifest, manifestFileBytes, verifyManifestSignature } from './manifest.js';
import type { VerdictVerifyInput } from './reach-export.js';
import type { VerdictContext, VerdictVerifyOptions } from './reach-verify.js';
import { checkLogged, fail } from './verify-offline.js';

/** Compared as JSON: an absent field and an undefined one are the same, key order does not matter. */
const asJson = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

/** The first path at which two JSON values differ (`static.path[2]`), or undefined when they are equal. */
export function firstDifference(a: unknown, b: unknown): string | undefined {
  return differenceAt(asJson(a), asJson(b), '');
}

function differenceAt(a: unknown, b: unknown, at: string): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b))
    return at === '' ? '(the whole value)' : at;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = differenceAt(a[i], b[i], `${at}[${i}]`);
      if (d !== undefined) return d;
    }
    return at;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  for (const k of [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort()) {
    const d = differenceAt(ra[k], rb[k], at === '' ? k : `${at}.${k}`);
    if (d !== undefined) return d;
  }
  return at;
}

/** A short JSON rendering of a value for messages (long values cut). */
export function brief(value: unknown): string {
  const text = value === undefined ? 'nothing' : canonicalize(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** `sha256:` and size of a stream, read once. */
export async function digestOf(source: AsyncIterable<Uint8Array>): Promise<{ digest: string; bytes: number }> {
  const hashed = digestingStream(source);
  for await (const _chunk of hashed.chunks) {
    // hashed as it passes
  }
  return hashed.result();
}

/** The log index a (verified) bundle names. */
export function bundleLogIndex(bundle: Uint8Array): number {
  const parsed = parseJsonText(Buffer.from(bundle).toString('utf8'), 'log bundle', 'E_SIGNATURE_FORMAT') as {
    verificationMaterial?: { tlogEntries?: { logIndex?: unknown }[] };
  };
  return Number(parsed.verificationMaterial?.tlogEntries?.[0]?.logIndex);
}

export async function manifestStep(input: VerdictVerifyInput, options: VerdictVerifyOptions, ctx: VerdictContext): Promise<string> {
  const p = ctx.predicate!;
  const cite = p.evidence.callgraph;
  const m = ctx.manifest;
  if (m === undefined) return fail('E_SIGNATURE_FORMAT', 'manifest.json could not be read (see callgraph-digest)');
  const digest = sha256Digest(manifestFileBytes(m));
  if (digest !== cite.manifestDigest)
    fail('E_DIGEST_MISMATCH', `manifest.json (as stored) hashes to ${digest} but the verdict cites manifestDigest ${cite.manifestDigest}`);
  if (p.evidence.manifestDigest !== cite.manifestDigest)
    fail('E_DIGEST_MISMATCH', `the verdict's evidence.manifestDigest ${p.evidence.manifestDigest} ≠ its citation's ${cite.manifestDigest}`);
  if (m.signature === null) {
    if (cite.manifestAttestationId !== null)
      fail('E_DIGEST_MISMATCH', `the verdict cites a signed manifest (record ${cite.manifestAttestationId}), manifest.json is unsigned`);
    return `manifest ${digest} (unsigned: ${m.skipReason ?? 'no signature'})`;
  }
  if (cite.manifestAttestationId !== null && cite.manifestAttestationId !== m.graphId)
    fail('E_DIGEST_MISMATCH', `the verdict cites manifest record ${cite.manifestAttestationId}, the manifest's record is ${m.graphId}`);
  if (input.manifestEnvelope === undefined) return fail('E_NOT_FOUND', 'the manifest is signed but the export has no manifest.dsse.json');
  const envelope = parseEnvelope(
    parseJsonText(Buffer.from(input.manifestEnvelope).toString('utf8'), 'manifest.dsse.json', 'E_SIGNATURE_FORMAT'),
  );
  if (!envelopeMatchesManifest(envelope, m))
    fail('E_SIGNATURE_INVALID', 'manifest.dsse.json is not the envelope of manifest.json (other payload or signature)');
  const keyId = m.signerKeyId!;
  const key = ctx.keys!.get(keyId);
  if (key === undefined)
    return fail('E_NOT_FOUND', `keys.json has no key ${keyId} (the manifest's signer); export it from GET /api/v1/keys/${keyId}`);
  if (!verifyManifestSignature(m, key)) fail('E_SIGNATURE_INVALID', `the manifest signature does not verify with key ${keyId}`);
  const signed = `manifest ${digest} signed by ${keyId}`;
  if (cite.manifestRekorUuid !== m.rekorUuid)
    fail(
      'E_DIGEST_MISMATCH',
      `the verdict cites manifest log entry ${cite.manifestRekorUuid ?? 'none'}, manifest.json names ${m.rekorUuid ?? 'none'}`,
    );
  if (m.rekorUuid === null && input.manifestBundle === undefined) return `${signed}; not logged (${m.skipReason ?? 'no rekorUuid'})`;
  const logged = checkLogged(input.manifestBundle, envelope, key, m.rekorUuid, 'the manifest', options);
  const index = bundleLogIndex(input.manifestBundle!);
  if (cite.manifestLogIndex !== null && cite.manifestLogIndex !== index)
    fail('E_DIGEST_MISMATCH', `the verdict cites manifest log index ${cite.manifestLogIndex}, the bundle holds entry ${index}`);
  return `${signed}; ${logged}`;
}
