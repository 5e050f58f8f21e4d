/**
 * A reviewed VEX draft as an OpenVEX 0.2.0 document (issue 17, docs/review.md
 * "Published VEX"): one statement about the finding's product, whose status is
 * the draft's claim and whose status_notes say which AI artifact it came
 * from and who approved it. The spec's status rules
 * (https://github.com/openvex/spec/blob/v0.2.0/OPENVEX-SPEC.md "Status
 * Justifications"): not_affected MUST carry a justification or an
 * impact_statement, affected MUST carry an action_statement.
 */
import { z } from 'zod';
import type { Digest } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import { parseWith } from '../core/validation.js';
import {
  AI_VEX_ID_PREFIX,
  OPENVEX_CONTEXT,
  SYMBOL_URN_PREFIX,
  VEX_JUSTIFICATIONS,
  VEX_STATUSES,
  type OpenVexDocument,
  type OpenVexStatement,
  type VexClaim,
} from './vex-types.js';

export interface AiOpenVexInput {
  readonly claim: VexClaim;
  readonly tenant: string;
  readonly artifactId: string;
  /** Who publishes: the document's `author` (an organisation or service identity). */
  readonly author: string;
  /** ISO 8601 with an offset: the document's and the statement's timestamp. */
  readonly timestamp: string;
  /** Token ids of the reviewers who approved the draft, in approval order. */
  readonly approvedBy: readonly string[];
  readonly modelId: string;
  /** The signed reachability verdict that agreed with the claim (ai-verified), if any. */
  readonly verifiedBy?: { readonly verdictDigest: Digest; readonly state: string } | null | undefined;
}

/** Bounds: the claim's text is at most MAX_VEX_TEXT (4096); default sentences add a PURL (≤ 2048). */
const MAX_STATEMENT_TEXT = 8192;
const MAX_NOTES = 16 * 1024;
const MAX_IRI = 4096 + 512;

// The schema's `iri` format; the WHATWG URL parser accepts pkg:, urn: and https: IRIs alike.
const iri = z
  .string()
  .min(1)
  .max(MAX_IRI)
  .refine((s) => URL.canParse(s), 'not an IRI');
const timestamp = z.iso.datetime({ offset: true });

const StatementSchema = z
  .object({
    '@id': iri.optional(),
    vulnerability: z.object({ name: z.string().min(1).max(256) }).strict(),
    timestamp,
    products: z
      .array(
        z
          .object({
            '@id': iri,
            subcomponents: z
              .array(z.object({ '@id': iri }).strict())
              .min(1)
              .max(64)
              .optional(),
          })
          .strict(),
      )
      .min(1)
      .max(64),
    status: z.enum(VEX_STATUSES),
    status_notes: z.string().max(MAX_NOTES).optional(),
    justification: z.enum(VEX_JUSTIFICATIONS).optional(),
    impact_statement: z.string().min(1).max(MAX_STATEMENT_TEXT).optional(),
    action_statement: z.string().min(1).max(MAX_STATEMENT_TEXT).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.status === 'not_affected' && s.justification === undefined && s.impact_statement === undefined)
      ctx.addIssue({ code: 'custom', path: ['impact_statement'], message: 'not_affected needs a justification or an impact_statement' });
    if (s.status === 'affected' && s.action_statement === undefined)
      ctx.addIssue({ code: 'custom', path: ['action_statement'], message: 'affected needs an action_statement' });
    // vexClaimOf drops a justification for any other status; one here was not written by attestry.
    if (s.status !== 'not_affected' && s.justification !== undefined)
      ctx.addIssue({ code: 'custom', path: ['justification'], message: `a justification is only for not_affected, not ${s.status}` });
  });

const DocumentSchema = z
  .object({
    '@context': z.literal(OPENVEX_CONTEXT),
    '@id': iri,
    author: z.string().min(1).max(1024),
    role: z.string().min(1).max(256).optional(),
    timestamp,
    version: z.number().int().min(1),
    tooling: z.string().min(1).max(256),
    statements: z.array(StatementSchema).length(1, 'an AI VEX document has exactly one statement'),
  })
  .strict();

/**
 * An AI VEX document from outside (a stored publication, an attestation's
 * predicate): strict, bounded, and held to the OpenVEX status rules.
 * E_INVALID_INPUT names every bad field by its path.
 */
export function parseAiOpenVex(input: unknown): OpenVexDocument {
  return parseWith(DocumentSchema, input, 'AI OpenVEX document');
}

/** The `@id` a draft is published under: one per (tenant, artifact). */
export function aiVexIdOf(tenant: string, artifactId: string): string {
  // The artifact id goes in unescaped, so it must need no escaping: that keeps the mapping one to one.
  if (artifactId === '' || encodeURIComponent(artifactId) !== artifactId)
    throw new AttestryError('E_INVALID_INPUT', `artifactId: ${JSON.stringify(artifactId.slice(0, 80))} is not a plain path segment`);
  return `${AI_VEX_ID_PREFIX}${encodeURIComponent(tenant)}/${artifactId}`;
}

function statusNotes(input: AiOpenVexInput): string {
  const reviewers = [...new Set(input.approvedBy)];
  const parts = [`From AI artifact ${input.artifactId} (vex_draft by model ${input.modelId})`];
  if (reviewers.length > 0) parts.push(`approved by ${reviewers.join(', ')}`);
  const v = input.verifiedBy;
  if (v !== undefined && v !== null) parts.push(`verified by reachability verdict ${v.verdictDigest} (${v.state})`);
  return `${parts.join('; ')}.`;
}

function statusFields(claim: VexClaim): Pick<OpenVexStatement, 'justification' | 'impact_statement' | 'action_statement'> {
  switch (claim.status) {
    case 'not_affected':
      return {
        ...(claim.justification === null ? {} : { justification: claim.justification }),
        impact_statement:
          claim.text !== ''
            ? claim.text
            : `${claim.vulnerability} does not affect ${claim.productPurl}; the reviewed AI draft gave no further impact statement.`,
      };
    case 'affected':
      return {
        action_statement:
          claim.text !== ''
            ? claim.text
            : `Upgrade ${claim.productPurl} to a version not affected by ${claim.vulnerability}, or apply the vendor's fix.`,
      };
    case 'fixed':
    case 'under_investigation':
      return {};
  }
}

/**
 * The OpenVEX document a reviewed draft is published as. Refuses (E_INVALID_INPUT)
 * a draft nobody approved and no verdict verified: an unreviewed claim is never
 * published, so it is never given a document either.
 */
export function buildAiOpenVex(input: AiOpenVexInput): OpenVexDocument {
  const { claim } = input;
  if (input.approvedBy.length === 0 && (input.verifiedBy === undefined || input.verifiedBy === null))
    throw new AttestryError('E_INVALID_INPUT', `AI artifact ${input.artifactId}: a VEX document needs an approval or a verifying verdict`);
  const product: OpenVexStatement['products'][number] =
    claim.symbol === null
      ? { '@id': claim.productPurl }
      : { '@id': claim.productPurl, subcomponents: [{ '@id': SYMBOL_URN_PREFIX + encodeURIComponent(claim.symbol) }] };
  const statement: OpenVexStatement = {
    vulnerability: { name: claim.vulnerability },
    timestamp: input.timestamp,
    products: [product],
    status: claim.status,
    status_notes: statusNotes(input),
    ...statusFields(claim),
  };
  const document: OpenVexDocument = {
    '@context': OPENVEX_CONTEXT,
    '@id': aiVexIdOf(input.tenant, input.artifactId),
    author: input.author,
    timestamp: input.timestamp,
    version: 1,
    tooling: 'attestry',
    statements: [statement],
  };
  // What we publish passes the same check as what we read back.
  parseAiOpenVex(document);
  return document;
}
