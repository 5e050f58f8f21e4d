/**
 * Human output of `model verify` and `model inspect`. Every value that comes
 * from the signature or the directory (file names, signer ids, metadata, the
 * issuer) is attacker-controlled, so each passes through safeText: a file
 * named "\x1b[2K\rSignature: VALID" prints as those escapes, not as a line.
 */
import { resolve } from 'node:path';
import type { SignatureInspection, VerifyModelResult } from '../models/index.js';
import { formatBytes, formatRate, safeText as s } from './output.js';

function signerLines(r: VerifyModelResult): string[] {
  const sig = r.signature;
  const lines: string[] = [];
  if (sig.method === 'sigstore') lines.push(`  Identity : ${s(sig.identity ?? '')} (issuer ${s(sig.issuer ?? '')}, Sigstore keyless)`);
  else if (sig.method === 'certificate') lines.push('  Signer   : certificate chaining to the given CA');
  else
    lines.push(
      `  Signer   : ${r.metadata.signerId !== undefined ? s(r.metadata.signerId) : '(not recorded)'}` +
        (sig.publisher ? ` (trusted publisher ${s(sig.publisher.name)})` : ''),
    );
  if (r.metadata.modelName || r.metadata.modelVersion)
    lines.push(
      `  Model    : ${s(r.metadata.modelName ?? r.model.name)}${r.metadata.modelVersion ? ` v${s(r.metadata.modelVersion)}` : ''}`,
    );
  lines.push(`  Key      : ${sig.algorithm} ${sig.keyFingerprint}`, `  Root     : ${s(r.model.rootDigest)}`);
  return lines;
}

/**
 * A failed verification says FAILED on its first line, then what failed; the
 * signature details follow, labelled as such, so that "VALID" is never the
 * first thing a reader (or a `head -1` in a script) sees of a failed run.
 */
export function verifyHuman(r: VerifyModelResult): string {
  const checked = `${r.filesChecked} files, ${formatBytes(r.bytesChecked)} at ${formatRate(r.bytesChecked, r.durationMs)}`;
  if (r.ok) {
    return ['Signature: VALID', ...signerLines(r), `Verified ${checked}.`, 'All files verified successfully.'].join('\n');
  }
  return [
    `FAILED: ${r.problems.length} file problem(s); the files on disk do not match the signature.`,
    ...r.problems.map((p) => `  [${p.kind.toUpperCase()}] ${s(p.name)}: ${s(p.detail)}`),
    'Signature: valid, but it does not cover the files as they are:',
    ...signerLines(r),
    `Checked ${checked}.`,
  ].join('\n');
}

export function inspectHuman(i: SignatureInspection, signaturePath: string): string {
  const z = i.serialization;
  const lines = [
    `Signature file: ${s(resolve(signaturePath))} (not verified)`,
    `  Format   : ${s(i.mediaType)}, ${s(i.predicateType)}`,
    `  Method   : ${i.method}${i.keyHint ? ` (key hint ${s(i.keyHint)})` : ''}, ${i.signatures} signature(s)`,
    `  Subject  : ${s(i.subjectName)} ${s(i.rootDigest)}${i.consistent ? '' : '  ** does not match the resources **'}`,
  ];
  for (const [k, v] of Object.entries(i.metadata)) lines.push(`  ${s(k).padEnd(9)}: ${s(v)}`);
  lines.push(
    `  Hashing  : ${s(z.method)}, ${s(z.hash_type)}${z.shard_size ? `, shard ${s(z.shard_size)}` : ''}, symlinks ${z.allow_symlinks ? 'followed' : 'refused'}`,
  );
  if (z.ignore_paths?.length) lines.push(`  Ignored  : ${z.ignore_paths.map(s).join(', ')}`);
  lines.push(`  Resources: ${i.resources.length}`);
  for (const r of i.resources.slice(0, 50)) lines.push(`    ${s(r.digest.slice(0, 16))}…  ${s(r.name)}`);
  if (i.resources.length > 50) lines.push(`    … and ${i.resources.length - 50} more (use --json)`);
  return lines.join('\n');
}
