/**
 * For a DSSE bundle the artifact is not what was signed: the in-toto
 * statement is, and the artifact must be one of its subjects
 * (in-toto attestation spec v1, statement.md "subject"). sigstore-js checks the
 * envelope only, so attestry matches the subject digest here. Statement v0.1
 * and v1 are both accepted: they share `subject[].digest`.
 */
import { createHash } from 'node:crypto';
import { checkFailed } from './failures.js';
import { parseJsonBounded } from '../core/bounded-json.js';

export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** The artifact a bundle is checked against: its bytes, or only its SHA-256 digest. */
export type BundleArtifact = { kind: 'bytes'; data: Buffer } | { kind: 'digest'; algorithm: 'sha256'; digest: Buffer };

export interface StatementSummary {
  type: string;
  predicateType: string;
  subjects: { name?: string; digest: Record<string, string> }[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads the parts of an in-toto statement the subject check needs; anything else is a failed check. */
export function summarizeStatement(payloadType: string, payload: Buffer): StatementSummary {
  if (payloadType !== INTOTO_PAYLOAD_TYPE) {
    throw checkFailed(
      'subject-digest',
      `the envelope's payloadType is "${payloadType}", not an in-toto statement, so it names no artifact`,
    );
  }
  let json: unknown;
  try {
    json = parseJsonBounded(payload, { what: "the envelope's payload" });
  } catch (e) {
    throw checkFailed('subject-digest', (e as Error).message, e);
  }
  if (!isRecord(json) || !Array.isArray(json['subject'])) throw checkFailed('subject-digest', 'the in-toto statement has no subject list');
  const subjects: StatementSummary['subjects'] = [];
  for (const s of json['subject']) {
    if (!isRecord(s) || !isRecord(s['digest'])) continue;
    const digest: Record<string, string> = {};
    for (const [alg, value] of Object.entries(s['digest'])) if (typeof value === 'string') digest[alg] = value.toLowerCase();
    subjects.push(typeof s['name'] === 'string' ? { name: s['name'], digest } : { digest });
  }
  return {
    type: typeof json['_type'] === 'string' ? json['_type'] : '',
    predicateType: typeof json['predicateType'] === 'string' ? json['predicateType'] : '',
    subjects,
  };
}

// in-toto digest set names (attestation spec, digest_set.md) that node:crypto computes.
const NODE_HASH: Record<string, string> = { sha256: 'sha256', sha384: 'sha384', sha512: 'sha512', sha1: 'sha1' };
// sha1 names a subject but is too weak to bind an artifact to a signature.
const ACCEPTED = new Set(['sha256', 'sha384', 'sha512']);

/** Throws unless some subject of the statement carries the artifact's digest. */
export function checkSubject(statement: StatementSummary, artifact: BundleArtifact): void {
  const cache = new Map<string, string>();
  const digestOf = (alg: string): string | undefined => {
    if (artifact.kind === 'digest') return alg === artifact.algorithm ? artifact.digest.toString('hex') : undefined;
    const nodeAlg = NODE_HASH[alg];
    if (nodeAlg === undefined || !ACCEPTED.has(alg)) return undefined;
    let d = cache.get(alg);
    if (d === undefined) {
      d = createHash(nodeAlg).update(artifact.data).digest('hex');
      cache.set(alg, d);
    }
    return d;
  };
  for (const subject of statement.subjects) {
    for (const [alg, want] of Object.entries(subject.digest)) {
      if (digestOf(alg) === want) return;
    }
  }
  const named = statement.subjects.map((s) => s.name ?? Object.values(s.digest)[0] ?? '?').slice(0, 5);
  throw checkFailed(
    'subject-digest',
    `the artifact's digest is not among the statement's ${statement.subjects.length} subject(s)${named.length ? ` (${named.join(', ')})` : ''}`,
  );
}
