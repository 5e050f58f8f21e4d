/**
 * Offline re-derivation of a reachability verdict (`attestry signals
 * verify-verdict`): the signed verdict, the callgraph and runtime-fact
 * batches it cites, their provenance records, attestations and log entries
 * go in; named checks come out. The static evidence is recomputed from the
 * callgraph's bytes, the runtime evidence from each batch's raw facts, and
 * the state from both by the same pure rules the server used
 * (deriveReachability), so the verdict is believed only as far as its
 * evidence carries it. Trusted: the keys of keys.json (the service's
 * published keys) and the log key the caller pinned. Not re-checked: the
 * verdict's first subject, the digest of the compressed callgraph blob (the
 * export carries the normalised NDJSON, whose digest the signed manifest names).
 */
import type { KeyObject } from 'node:crypto';
import { isAttestryError, type ErrorCode } from '../core/errors.js';
import { parseJsonText } from '../core/validation.js';
import { firstVerifiedSignature, type DsseEnvelope } from '../crypto/dsse.js';
import { loadPublicKey } from '../crypto/keys.js';
import { createVerifier } from '../crypto/signer.js';
import type { NoteVerifierKey } from '../tlog/note.js';
import { parseExportedKeys, parseManifest } from './export-format.js';
import { deriveReachability } from './reach-derive.js';
import type { VerdictVerifyInput } from './reach-export.js';
import { MAX_CITED_BATCHES } from './reach-export.js';
import { buildReachIndex } from './reach-index.js';
import {
  REACHABILITY_RULES_VERSION,
  type CitedBatch,
  type ReachabilityDerivation,
  type ReachabilityPredicate,
  type StaticEvidence,
} from './reach-types.js';
import { evidenceDigestOf, parseVerdictEnvelope } from './reach-verdict.js';
import { batchAttestationStep, batchProvenanceStep, runtimeEvidenceStep } from './reach-verify-batches.js';
import { brief, digestOf, firstDifference, manifestStep } from './reach-verify-records.js';
import type { CallgraphManifest } from './types.js';
import { CheckFailed, checkLogged, fail, type NamedCheck } from './verify-offline.js';

/** The checks, in the order they run. */
export const VERDICT_CHECKS = [
  'verdict-signature',
  'verdict-log-inclusion',
  'callgraph-digest',
  'manifest',
  'static-evidence',
  'batch-provenance',
  'batch-attestation',
  'runtime-evidence',
  'state',
] as const;
export type VerdictCheckName = (typeof VERDICT_CHECKS)[number];

export type VerdictCheck = NamedCheck<VerdictCheckName>;

export interface VerdictVerifyReport {
  readonly ok: boolean;
  readonly callgraphId: string | null;
  readonly symbol: string | null;
  /** What the verdict says, and what its cited evidence gives (null when the state check did not run). */
  readonly state: string | null;
  readonly derivedState: string | null;
  readonly batchCount: number;
  readonly checks: readonly VerdictCheck[];
  /** The first failed check: what the command exits with. */
  readonly failure?: { readonly check: VerdictCheckName; readonly code: ErrorCode; readonly message: string } | undefined;
}

export interface VerdictVerifyOptions {
  /**
   * The pinned log key; without it a logged record cannot be verified (its
   * check fails rather than trust the export).
   */
  readonly logKey?: NoteVerifierKey | undefined;
  /**
   * A verdict whose log entry is missing from the export fails instead of
   * skipping its log check (dropping the bundle must not drop the check).
   */
  readonly requireLogged?: boolean | undefined;
  /**
   * The service keys the caller trusts (obtained independently, like the log
   * key). When given, keys.json counts only for the keys among these (its key
   * ids name them); a signature by any other key fails. Without them the
   * export's keys.json is taken as published, and the check says so.
   */
  readonly trustedKeys?: readonly KeyObject[] | undefined;
}

const spki = (key: KeyObject): Buffer => key.export({ type: 'spki', format: 'der' });

/** keys.json restricted to the trusted keys (by their SPKI bytes); all of it when none are pinned. */
function pinnedKeys(published: ReadonlyMap<string, KeyObject>, trusted: readonly KeyObject[] | undefined): ReadonlyMap<string, KeyObject> {
  if (trusted === undefined) return published;
  const allowed = trusted.map(spki);
  return new Map([...published].filter(([, key]) => allowed.some((der) => der.equals(spki(key)))));
}

/** What the checks learn from each other; a check whose input an earlier one could not establish is skipped. */
export interface VerdictContext {
  predicate?: ReachabilityPredicate;
  envelope?: DsseEnvelope;
  keys?: ReadonlyMap<string, KeyObject>;
  verdictKey?: KeyObject;
  manifest?: CallgraphManifest;
  /** The callgraph bytes are the cited ones (callgraph-digest passed). */
  graphOk?: boolean;
  static?: StaticEvidence;
  /** The cited batches' files are the cited ones (batch-provenance passed). */
  batchesOk?: boolean;
  /** The cited batches with their hits recounted from the raw facts. */
  batches?: CitedBatch[];
  derivedState?: string;
}

export type VerdictStep = (ctx: VerdictContext) => Promise<string | { skipped: string }>;

/** Generous bounds: the verdict's own graph passed the server's (smaller) limits. */
const INDEX_LIMITS = { maxNodes: 50_000_000, maxEdges: 200_000_000, maxLineBytes: 16 * 1024 * 1024 };

function json(bytes: Uint8Array, what: string): unknown {
  return parseJsonText(Buffer.from(bytes).toString('utf8'), what, 'E_SIGNATURE_FORMAT');
}

/** The derivation a predicate signs: everything except the chain fields. */
export function derivationOf(p: ReachabilityPredicate): ReachabilityDerivation {
  const { decidedAt: _d, sequence: _s, previous: _p, evidenceDigest: _e, ...derivation } = p;
  return derivation;
}

/** Exactly the signed fields (an index may return more), so the derivation compares and digests as the predicate's. */
function staticFields(s: StaticEvidence): StaticEvidence {
  return {
    state: s.state,
    matchedNodes: [...s.matchedNodes],
    entryPoint: s.entryPoint,
    path: [...s.path],
    steps: s.steps.map((step) => ({ nodeId: step.nodeId, symbol: step.symbol, edgeKind: step.edgeKind })),
    uncertainEdges: [...s.uncertainEdges],
  };
}

function steps(input: VerdictVerifyInput, options: VerdictVerifyOptions): Record<VerdictCheckName, VerdictStep> {
  return {
    'verdict-signature': async (ctx) => {
      const parsed = parseVerdictEnvelope(input.verdict);
      ctx.envelope = parsed.envelope;
      ctx.predicate = parsed.predicate;
      ctx.keys = pinnedKeys(parseExportedKeys(json(input.keys, 'keys.json'), loadPublicKey), options.trustedKeys);
      if (parsed.predicate.evidence.batches.length > MAX_CITED_BATCHES)
        fail(
          'E_PAYLOAD_TOO_LARGE',
          `the verdict cites ${parsed.predicate.evidence.batches.length} batches, more than ${MAX_CITED_BATCHES}`,
        );
      const verifiers = [...ctx.keys].map(([keyId, key]) => createVerifier(key, keyId));
      if (verifiers.length === 0)
        fail(
          'E_NOT_FOUND',
          options.trustedKeys === undefined
            ? 'keys.json lists no key, so the verdict signature cannot be checked'
            : 'no key of keys.json is one of the trusted keys (--key), so no signature can be trusted',
        );
      let keyId: string;
      try {
        // keyid is an unauthenticated hint: every published key is tried.
        keyId = firstVerifiedSignature(parsed.envelope, verifiers, false).verifier.keyid;
      } catch (e) {
        if (isAttestryError(e) && e.code === 'E_SIGNATURE_INVALID') {
          const named = parsed.envelope.signatures.map((s) => s.keyid ?? '(no keyid)').join(', ');
          return fail(
            'E_SIGNATURE_INVALID',
            `no signature of the verdict (signed as ${named}) verifies with a ${options.trustedKeys === undefined ? 'key of keys.json' : 'trusted key (--key)'} (${[...ctx.keys.keys()].join(', ')})`,
          );
        }
        throw e;
      }
      ctx.verdictKey = ctx.keys.get(keyId);
      const p = parsed.predicate;
      const trust =
        options.trustedKeys === undefined ? ' (a key of keys.json, not pinned: pass --key to trust only your copy)' : ' (a trusted key)';
      return `verdict #${p.sequence} on ${p.symbol} (callgraph ${p.callgraphId}, ${p.state}) signed by ${keyId}${trust}`;
    },
    'verdict-log-inclusion': async (ctx) => {
      if (input.verdictBundle === undefined) {
        if (options.requireLogged === true)
          fail(
            'E_NOT_FOUND',
            'the verdict must be logged (--require-logged) but the export has no verdict.bundle.json: export it again from a server that logged it',
          );
        return { skipped: 'the export has no verdict.bundle.json (the verdict was not logged, or was exported without its log entry)' };
      }
      return checkLogged(input.verdictBundle, ctx.envelope!, ctx.verdictKey!, null, 'the verdict', options);
    },
    'callgraph-digest': async (ctx) => {
      const p = ctx.predicate!;
      const m = parseManifest(json(input.manifest, 'manifest.json'));
      ctx.manifest = m;
      const { digest, bytes } = await digestOf(input.callgraph());
      if (digest !== p.evidence.callgraph.digest)
        fail('E_DIGEST_MISMATCH', `callgraph.ndjson hashes to ${digest} but the verdict cites ${p.evidence.callgraph.digest}`);
      const mismatches = [
        m.digest !== p.evidence.callgraph.digest && `manifest digest ${m.digest} ≠ ${p.evidence.callgraph.digest}`,
        m.graphId !== p.callgraphId && `manifest graphId ${m.graphId} ≠ ${p.callgraphId}`,
        p.evidence.callgraph.graphId !== p.callgraphId && `citation graphId ${p.evidence.callgraph.graphId} ≠ ${p.callgraphId}`,
        m.tenantId !== p.tenantId && `manifest tenantId ${m.tenantId} ≠ ${p.tenantId}`,
        m.componentPurl !== p.componentPurl && `manifest componentPurl ${m.componentPurl} ≠ ${p.componentPurl}`,
      ].filter((x): x is string => typeof x === 'string');
      if (mismatches.length > 0) fail('E_DIGEST_MISMATCH', `the manifest and the verdict's citation disagree: ${mismatches.join('; ')}`);
      ctx.graphOk = true;
      return `callgraph ${p.callgraphId}: ${bytes} bytes hash to ${digest}, the manifest's digest`;
    },
    manifest: (ctx) => manifestStep(input, options, ctx),
    'static-evidence': async (ctx) => {
      const p = ctx.predicate!;
      const index = await buildReachIndex(input.callgraph(), INDEX_LIMITS, 'callgraph.ndjson');
      const s = staticFields(index.staticEvidence(p.symbol));
      ctx.static = s;
      const diff = firstDifference(s, p.static);
      if (diff !== undefined)
        fail(
          'E_DIGEST_MISMATCH',
          `the callgraph gives ${s.state} (path ${brief(s.path)}), the verdict says ${p.static.state} (path ${brief(p.static.path)}); first difference at static.${diff}`,
        );
      return `${s.state}${s.path.length > 0 ? ` via ${s.path.join(' → ')}` : ''} (${index.nodeCount} nodes, ${index.edgeCount} edges rebuilt)`;
    },
    'batch-provenance': (ctx) => batchProvenanceStep(input, ctx),
    'batch-attestation': (ctx) => batchAttestationStep(input, options, ctx),
    'runtime-evidence': (ctx) => runtimeEvidenceStep(input, ctx),
    state: async (ctx) => {
      const p = ctx.predicate!;
      if (p.rulesVersion !== REACHABILITY_RULES_VERSION)
        fail(
          'E_SIGNATURE_FORMAT',
          `the verdict was derived by rules ${p.rulesVersion}; this verifier re-derives ${REACHABILITY_RULES_VERSION}`,
        );
      const derived = deriveReachability({
        callgraph: p.evidence.callgraph,
        symbol: p.symbol,
        vulnerability: p.vulnerability,
        static: ctx.static!,
        batches: ctx.batches!,
        window: p.window,
        thresholds: p.thresholds,
      });
      ctx.derivedState = derived.state;
      if (derived.state !== p.state) fail('E_DIGEST_MISMATCH', `cited evidence gives ${derived.state}, the verdict says ${p.state}`);
      const diff = firstDifference(derived, derivationOf(p));
      if (diff !== undefined)
        fail('E_DIGEST_MISMATCH', `cited evidence gives ${derived.state} as the verdict says, but its derivation differs at ${diff}`);
      const digest = evidenceDigestOf(derived);
      if (digest !== p.evidenceDigest)
        fail('E_DIGEST_MISMATCH', `the derivation hashes to ${digest}, the verdict's evidenceDigest is ${p.evidenceDigest}`);
      return `cited evidence gives ${derived.state}, as the verdict says (evidenceDigest ${digest})`;
    },
  };
}

/** Whether a check can run: what it reads was established by the checks before it. */
function blockedBy(name: VerdictCheckName, ctx: VerdictContext): boolean {
  switch (name) {
    case 'verdict-signature':
      return false;
    case 'verdict-log-inclusion':
      return ctx.envelope === undefined || ctx.verdictKey === undefined;
    case 'callgraph-digest':
    case 'batch-provenance':
      return ctx.predicate === undefined;
    case 'manifest':
    case 'batch-attestation':
      return ctx.predicate === undefined || ctx.keys === undefined;
    case 'static-evidence':
      return ctx.graphOk !== true;
    case 'runtime-evidence':
      return ctx.batchesOk !== true;
    case 'state':
      return ctx.static === undefined || ctx.batches === undefined;
  }
}

/** Runs every check in order; a check that needs what an earlier one could not establish is skipped, naming it. */
export async function verifyVerdictExport(input: VerdictVerifyInput, options: VerdictVerifyOptions = {}): Promise<VerdictVerifyReport> {
  const ctx: VerdictContext = {};
  const all = steps(input, options);
  const checks: VerdictCheck[] = [];
  let failure: VerdictVerifyReport['failure'];
  for (const name of VERDICT_CHECKS) {
    if (blockedBy(name, ctx)) {
      checks.push({ name, status: 'skipped', message: `needs what ${failure?.check ?? 'an earlier check'} could not establish` });
      continue;
    }
    try {
      const out = await all[name](ctx);
      checks.push(typeof out === 'string' ? { name, status: 'passed', message: out } : { name, status: 'skipped', message: out.skipped });
    } catch (e) {
      const code: ErrorCode = e instanceof CheckFailed ? e.code : isAttestryError(e) ? e.code : 'E_INTERNAL';
      const message = e instanceof Error ? e.message : String(e);
      checks.push({ name, status: 'failed', code, message });
      failure ??= { check: name, code, message: `${name}: ${message}` };
    }
  }
  const p = ctx.predicate;
  return {
    ok: failure === undefined,
    callgraphId: p?.callgraphId ?? null,
    symbol: p?.symbol ?? null,
    state: p?.state ?? null,
    derivedState: ctx.derivedState ?? null,
    batchCount: p?.evidence.batches.length ?? 0,
    checks,
    ...(failure === undefined ? {} : { failure }),
  };
}
