/**
 * The claim of a VEX draft (docs/review.md "The VEX claim of a draft"), derived only from what
 * the draft's attestation binds: the model's output and the finding in the
 * replay manifest. The model's own `Status:` / `Justification:` lines win;
 * without them the finding's proposal (`finding.vex`) stands; with neither
 * the claim is `under_investigation`, the one status that asserts nothing.
 */
import type { Finding } from './types.js';
import { VEX_JUSTIFICATIONS, VEX_STATUSES, type VexClaim, type VexJustification, type VexStatus } from './vex-types.js';

/** Longest model text carried into a VEX statement (an impact or action statement is a sentence or two). */
export const MAX_VEX_TEXT = 4096;

// A line of its own, markdown emphasis allowed: "Status: not_affected", "**status** - affected",
// "**Status:** not_affected" (the emphasis closes after the colon, before the space).
const fieldRe = (name: string, values: readonly string[]): RegExp =>
  new RegExp(`^[\\s*_>#-]*${name}[\\s*_]*[:=-][\\s*_\`"']*(${values.join('|')})\\b`, 'im');
const STATUS_RE = fieldRe(
  'status',
  [...VEX_STATUSES].sort((a, b) => b.length - a.length),
);
const JUSTIFICATION_RE = fieldRe('justification', VEX_JUSTIFICATIONS);
const FIELD_LINE_RE = /^[\s*_>#-]*(status|justification)[\s*_]*[:=-].*$/gim;

function statementText(output: string): string {
  const text = output.replace(FIELD_LINE_RE, '').replace(/\s+/g, ' ').trim();
  return text.length > MAX_VEX_TEXT ? `${text.slice(0, MAX_VEX_TEXT - 1)}…` : text;
}

export function vexClaimOf(finding: Finding, output: string): VexClaim {
  const stated = STATUS_RE.exec(output)?.[1]?.toLowerCase() as VexStatus | undefined;
  const statedJustification = JUSTIFICATION_RE.exec(output)?.[1]?.toLowerCase() as VexJustification | undefined;
  let status: VexStatus;
  let justification: VexJustification | null = null;
  let source: VexClaim['source'];
  if (stated !== undefined) {
    status = stated;
    justification = stated === 'not_affected' ? (statedJustification ?? null) : null;
    source = 'output';
  } else if (finding.vex !== undefined) {
    status = finding.vex.status;
    justification = status === 'not_affected' ? (finding.vex.justification ?? null) : null;
    source = 'finding';
  } else {
    status = 'under_investigation';
    source = 'default';
  }
  return {
    vulnerability: finding.cve,
    productPurl: finding.purl,
    symbol: finding.symbol ?? null,
    status,
    justification,
    source,
    text: statementText(output),
  };
}
