import type { PublicKeyHandle } from '../crypto/keys.js';
import { z } from 'zod';
import { canonicalBytes } from '../core/canonical-json.js';
import { AttestryError } from '../core/errors.js';
import { parseJsonText, parseWith } from '../core/validation.js';
import { decodeBase64, isBase64Text, pae, signEnvelope, type DsseEnvelope } from '../crypto/dsse.js';
import { verifyBytes, type Signer } from '../crypto/signer.js';
import { CALLGRAPH_MANIFEST_PAYLOAD_TYPE, type CallgraphManifest } from './types.js';

/**
 * Seed 000 §4 callgraph manifests: what is signed, how it is stored and how
 * it is checked. Pure functions, so the offline verifier
 * (verify-offline.ts) checks a manifest exactly as the service signed it.
 *
 * - Signed payload: RFC 8785 canonical JSON of the manifest without
 *   `signature`, `rekorUuid` and `skipReason` (a signature cannot cover
 *   itself; the log entry and the skip reason come after signing). It does
 *   cover `signerKeyId`.
 * - `signature`: the base64 signature of the DSSE envelope over that payload
 *   (payload type CALLGRAPH_MANIFEST_PAYLOAD_TYPE), so manifest and envelope
 *   carry the same bytes and either can be checked alone.
 * - `manifests/{id}.json`: canonical JSON of the manifest without
 *   `rekorUuid` and `skipReason` (known only once the locker has logged it;
 *   the index row keeps them). Deterministic, so repair can recompute its digest.
 */

/** A manifest before signing: every §4.2 field except the signature and log fields. */
export type ManifestFields = Omit<CallgraphManifest, 'signerKeyId' | 'signature' | 'rekorUuid' | 'skipReason'>;

/** The §4.2 fields in the seed's order (JSON key order is kept on the wire for readers). */
export function orderedManifest(m: CallgraphManifest): CallgraphManifest {
  return {
    graphId: m.graphId,
    digest: m.digest,
    language: m.language,
    source: m.source,
    createdAt: m.createdAt,
    tenantId: m.tenantId,
    componentPurl: m.componentPurl,
    entryPoints: [...m.entryPoints],
    nodeCount: m.nodeCount,
    edgeCount: m.edgeCount,
    signerKeyId: m.signerKeyId,
    signature: m.signature,
    rekorUuid: m.rekorUuid,
    ...(m.skipReason === undefined ? {} : { skipReason: m.skipReason }),
  };
}

/** The bytes a manifest signature covers. */
export function manifestPayload(m: CallgraphManifest | (ManifestFields & { signerKeyId: string | null })): Buffer {
  const { signature: _s, rekorUuid: _r, skipReason: _k, ...signed } = m as CallgraphManifest;
  return canonicalBytes(signed);
}

/** The content of `manifests/{id}.json`. */
export function manifestFileBytes(m: CallgraphManifest): Buffer {
  const { rekorUuid: _r, skipReason: _k, ...stored } = m;
  return canonicalBytes(stored);
}

/** Signs the manifest with the Signals key: the manifest with `signerKeyId` and `signature`, and its DSSE envelope. */
export function signManifest(
  fields: ManifestFields,
  signer: Signer,
  signerKeyId: string,
): { manifest: CallgraphManifest; envelope: DsseEnvelope } {
  const withKey = { ...fields, signerKeyId };
  const signed = signEnvelope(CALLGRAPH_MANIFEST_PAYLOAD_TYPE, manifestPayload(withKey), [signer]);
  const signature = signed.signatures[0]?.sig as string;
  const manifest: CallgraphManifest = orderedManifest({ ...withKey, signature, rekorUuid: null });
  return { manifest, envelope: manifestEnvelope(manifest) };
}

/** An unsigned manifest (signing switched off): null signature fields and the reason. */
export function unsignedManifest(fields: ManifestFields, skipReason: string): CallgraphManifest {
  return orderedManifest({ ...fields, signerKeyId: null, signature: null, rekorUuid: null, skipReason });
}

/**
 * The DSSE envelope of a signed manifest, rebuilt from the manifest alone:
 * the same bytes `signManifest` produced, so a repair can hand the locker
 * the very envelope a crash interrupted (same bytes, same record).
 */
export function manifestEnvelope(m: CallgraphManifest): DsseEnvelope {
  if (m.signature === null || m.signerKeyId === null) {
    throw new AttestryError(
      'E_NOT_FOUND',
      `manifest of callgraph ${m.graphId} is unsigned${m.skipReason === undefined ? '' : `: ${m.skipReason}`}`,
    );
  }
  return {
    payloadType: CALLGRAPH_MANIFEST_PAYLOAD_TYPE,
    payload: manifestPayload(m).toString('base64'),
    signatures: [{ keyid: m.signerKeyId, sig: m.signature }],
  };
}

export function envelopeBytes(envelope: DsseEnvelope): Buffer {
  return Buffer.from(JSON.stringify(envelope), 'utf8');
}

/**
 * Whether the manifest's signature verifies with `publicKey` over its
 * payload. False for unsigned manifests and for any malformed signature:
 * callers turn false into E_INTEGRITY (service, stored manifest) or
 * E_SIGNATURE_INVALID (offline verifier).
 */
export function verifyManifestSignature(manifest: CallgraphManifest, publicKey: PublicKeyHandle): boolean {
  if (manifest.signature === null || manifest.signerKeyId === null || !isBase64Text(manifest.signature)) return false;
  let message: Buffer;
  try {
    message = pae(CALLGRAPH_MANIFEST_PAYLOAD_TYPE, manifestPayload(manifest));
  } catch {
    return false;
  }
  return verifyBytes(publicKey, message, decodeBase64(manifest.signature));
}

/**
 * Whether `envelope` is this manifest's envelope: same payload type, the
 * manifest's exact payload and a signature equal to the manifest's. (Checks
 * correspondence only; verify the signature with verifyManifestSignature.)
 */
export function envelopeMatchesManifest(envelope: DsseEnvelope, manifest: CallgraphManifest): boolean {
  if (envelope.payloadType !== CALLGRAPH_MANIFEST_PAYLOAD_TYPE || manifest.signature === null) return false;
  if (!decodeBase64(envelope.payload).equals(manifestPayload(manifest))) return false;
  return envelope.signatures.some((s) => s.sig === manifest.signature);
}

const nullableString = z.string().min(1).nullable();
const ManifestSchema = z
  .object({
    graphId: z.string().min(1),
    digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 lowercase hex>'),
    language: z.string().min(1),
    source: z.string().min(1),
    createdAt: z.iso.datetime({ offset: true }),
    tenantId: z.string().min(1),
    componentPurl: z.string().min(1),
    entryPoints: z.array(z.string()),
    nodeCount: z.number().int().nonnegative(),
    edgeCount: z.number().int().nonnegative(),
    signerKeyId: nullableString,
    signature: nullableString,
    rekorUuid: nullableString.optional(),
    skipReason: z.string().optional(),
  })
  .strict();

/** Reads a manifest (a stored `manifests/{id}.json`, an API response, an exported file); `code` is the error for bad input. */
export function parseManifest(
  input: unknown,
  what = 'callgraph manifest',
  code: 'E_INVALID_INPUT' | 'E_INTEGRITY' = 'E_INVALID_INPUT',
): CallgraphManifest {
  const m = parseWith(ManifestSchema, input, what, code);
  return orderedManifest({ ...m, rekorUuid: m.rekorUuid ?? null });
}

export function parseManifestBytes(
  bytes: Uint8Array,
  what = 'callgraph manifest',
  code: 'E_INVALID_INPUT' | 'E_INTEGRITY' = 'E_INVALID_INPUT',
): CallgraphManifest {
  return parseManifest(parseJsonText(Buffer.from(bytes).toString('utf8'), what, code), what, code);
}
